export function dropRedisKeys(url: string, prefix: string | undefined): Promise<number>;
