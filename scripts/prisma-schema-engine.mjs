// Prisma's schema engine, compiled to WebAssembly, driven through the pg
// driver adapter: `prisma migrate diff` without the native engine binary
// (which Prisma downloads from its own servers). Used by the drift test and
// by `npm run migration:diff`; `baton migrate` does not need it.
//
// @prisma/schema-engine-wasm is pinned to the build whose engine hash
// matches the prisma CLI (see package.json). Two defects of
// @prisma/adapter-pg 7.10 are worked around per connection:
// - introspection reads pg_constraint.contype, of PostgreSQL's internal
//   "char" type (OID 18), which the adapter cannot decode: read it as text;
// - executeScript splits scripts on ';', which breaks dollar-quoted bodies:
//   send each script as one simple-protocol query.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { parse as parseConnectionString } from 'pg-connection-string';

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

let glue;

// The wasm-bindgen glue expects the module as an ES import of a .wasm file,
// which Node 20 only allows behind a flag; instantiate it by hand instead.
async function loadEngine() {
  if (glue) return glue;
  const require = createRequire(import.meta.url);
  const bindings = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const directory = dirname(bindings);
  glue = await import(pathToFileURL(bindings).href);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(directory, 'schema_engine_bg.wasm'))), { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return glue;
}

function repairAdapter(adapter) {
  const performIO = adapter.performIO.bind(adapter);
  adapter.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    return result;
  };
  adapter.executeScript = async (script) => {
    try {
      await adapter.client.query(script);
    } catch (error) {
      adapter.onError(error);
    }
  };
  return adapter;
}

export function readSchema(schemaPath) {
  const path = resolve(schemaPath);
  return { path, files: [{ path, content: readFileSync(path, 'utf8') }] };
}

// Opens the engine on a database. Call free() when done.
export async function openSchemaEngine(databaseUrl, schemaPath = 'prisma/schema.prisma') {
  const { SchemaEngine } = await loadEngine();
  // A parsed config, not { connectionString }: pg lets a connection string
  // override every other field.
  const factory = new PrismaPg(parseConnectionString(databaseUrl));
  const connect = factory.connect.bind(factory);
  factory.connect = async () => repairAdapter(await connect());
  const schema = readSchema(schemaPath);
  const engine = await SchemaEngine.new({ datamodels: schema.files.map((f) => [f.path, f.content]) }, () => undefined, bindMigrationAwareSqlAdapterFactory(factory));
  const filters = { externalTables: [], externalEnums: [] };
  return {
    // SQL that would bring the live database to schema.prisma ('' when none).
    async diffDatabaseToSchema() {
      const result = await engine.diff({
        from: { tag: 'schemaDatasource', configDir: dirname(schema.path), files: schema.files },
        to: { tag: 'schemaDatamodel', files: schema.files },
        script: true,
        exitCode: true,
        filters,
      });
      return result.exitCode === 2 ? (result.stdout ?? '') : '';
    },
    free: () => engine.free(),
  };
}
