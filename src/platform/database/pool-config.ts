import type pg from 'pg';

// A pg pool's settings for a postgresql:// URL. The pg instrumentation names
// each pool in its metrics (db.client.connection.pool.name) after the host,
// port and database of the pool's settings, which a URL alone leaves empty:
// every pool was "unknown_host:unknown_port/unknown_database". They are
// copied out of the URL; pg reads the URL again and lets it win, so the
// connection is the same. What the URL does not say (a port from PGPORT, say)
// stays unnamed rather than guessed.
// Other settings pass through, so pool configurations of libraries built on
// pg (BullMQ's PostgreSQL backend) take it too.
export function poolConfig<Options extends object>(url: string | undefined, options: Options = {} as Options): Options & Named & { connectionString?: string } {
  return url === undefined ? options : { ...options, ...named(url), connectionString: url };
}

type Named = Pick<pg.PoolConfig, 'host' | 'port' | 'database'>;

function named(url: string): Named {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  // A socket directory comes as ?host=/run/postgresql, with no host before the path.
  const host = parsed.hostname || parsed.searchParams.get('host') || undefined;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || undefined;
  return { host: host?.replace(/^\[(.*)\]$/, '$1'), port: parsed.port ? Number(parsed.port) : undefined, database };
}
