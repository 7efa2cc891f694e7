import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StaticFiles } from '../staticFiles.ts';

let outside: string;
let root: string;
let files: StaticFiles;

beforeAll(async () => {
  outside = await mkdtemp(path.join(os.tmpdir(), 'static-spec-'));
  root = path.join(outside, 'dist');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await mkdir(path.join(root, 'docs'));
  await writeFile(path.join(root, 'index.html'), '<html>app</html>');
  await writeFile(path.join(root, 'assets', 'main-abc123.css'), 'body{}');
  await writeFile(path.join(root, 'docs', 'index.html'), '<html>docs</html>');
  await writeFile(path.join(root, 'data.bin'), Buffer.from([1, 2, 3]));
  await writeFile(path.join(outside, 'secret.txt'), 'top secret');
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'leak.txt'));
  files = (await StaticFiles.open(root))!;
});

afterAll(async () => {
  await rm(outside, { recursive: true, force: true });
});

describe('StaticFiles', () => {
  test('a missing directory gives no StaticFiles', async () => {
    expect(await StaticFiles.open(path.join(outside, 'nope'))).toBeUndefined();
  });

  test('serves files with their content type; hashed assets are immutable, the rest revalidates', async () => {
    const index = await files.get('/');
    expect(index).toMatchObject({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } });
    expect(index.body.toString()).toBe('<html>app</html>');
    expect(await files.get('/assets/main-abc123.css')).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect((await files.get('/data.bin')).headers['content-type']).toBe('application/octet-stream');
    expect((await files.get('/docs/')).body.toString()).toBe('<html>docs</html>');
    expect((await files.get('/docs')).body.toString()).toBe('<html>docs</html>');
  });

  test('extensionless unknown paths get index.html (client-side routes); missing files get 404', async () => {
    expect((await files.get('/room/daily-standup')).body.toString()).toBe('<html>app</html>');
    expect((await files.get('/missing.js')).status).toBe(404);
    expect((await files.get('/assets/gone')).status).toBe(404);
  });

  test('nothing outside the root is reachable: dot-dot (plain or encoded), backslashes, symlinks out', async () => {
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/..\\secret.txt', '/leak.txt']) {
      const response = await files.get(attempt);
      expect(response.body.toString(), attempt).not.toContain('top secret');
    }
    expect((await files.get('/%E0%A4%A')).status).toBe(400);
    expect((await files.get('/a%00b')).status).toBe(400);
  });
});
