import type pg from 'pg';

// A pg pool's settings for a postgresql:// URL. The pg instrumentation names
// each pool in its metrics (db.client.connection.pool.name) after the host,
// port and database of the pool's settings, which a URL alone leaves empty:
// every pool was "unknown_host:unknown_port/unknown_database". They are
// copied out of the URL; pg reads the URL again and lets it win, so the
// connection is the same. What the URL does not say (a port from PGPORT, say)
// stays unnamed rather than guessed.
export function poolConfig(url: string | undefined, options: Omit<pg.PoolConfig, 'connectionString'> = {}): pg.PoolConfig {
  return url === undefined ? options : { ...options, ...named(url), connectionString: url };
}

function named(url: string): Pick<pg.PoolConfig, 'host' | 'port' | 'database'> {
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
