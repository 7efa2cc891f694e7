/**
 * The built client (SIGNALING_STATIC_DIR) over HTTP: content types, SPA fallback to index.html for
 * paths that do not look like files, no way out of the directory, long-lived caching for Vite's
 * content-hashed /assets/*, revalidation for everything else.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wav': 'audio/wav',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
};

/** Vite names files under /assets/ by content hash: a changed file gets a new name, so caching forever is safe. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and unhashed files: always revalidate so a deploy is picked up on the next load. */
const REVALIDATE = 'no-cache';

export interface StaticResponse {
  status: 200 | 400 | 404;
  headers: Record<string, string>;
  body: Buffer | string;
}

export class StaticFiles {
  readonly #root: string;

  private constructor(root: string) {
    this.#root = root;
  }

  /** Undefined when the directory does not exist (the client is not built): `/` then answers 404. */
  static async open(dir: string): Promise<StaticFiles | undefined> {
    try {
      const root = await realpath(dir);
      return (await stat(root)).isDirectory() ? new StaticFiles(root) : undefined;
    } catch {
      return undefined;
    }
  }

  get root(): string {
    return this.#root;
  }

  /** The response for GET `urlPath` (the path part of the URL, still percent-encoded). */
  async get(urlPath: string): Promise<StaticResponse> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return text(400, 'malformed percent-encoding in the path');
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return text(400, 'invalid characters in the path');

    // Normalizing as a POSIX path rooted at "/" removes every "..", so the result stays inside the root.
    const relative = path.posix.normalize(`/${decoded}`).slice(1);
    const candidate = path.join(this.#root, relative);
    const file = await this.#servableFile(candidate);
    if (file) return this.#serve(file, relative);

    const directoryIndex = await this.#servableFile(path.join(candidate, 'index.html'));
    if (directoryIndex) return this.#serve(directoryIndex, path.posix.join(relative, 'index.html'));

    // Client-side routes (/room/abc) have no extension: they get the app. Missing files (/x.js) get 404.
    if (!path.posix.extname(relative) && !relative.startsWith('assets/')) {
      const index = await this.#servableFile(path.join(this.#root, 'index.html'));
      if (index) return this.#serve(index, 'index.html');
    }
    return text(404, `not found: ${urlPath}`);
  }

  /** The real path of a regular file inside the root, or undefined (missing, a directory, or a symlink out). */
  async #servableFile(candidate: string): Promise<string | undefined> {
    try {
      const real = await realpath(candidate);
      if (!real.startsWith(this.#root + path.sep)) return undefined;
      return (await stat(real)).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }

  async #serve(file: string, relative: string): Promise<StaticResponse> {
    const body = await readFile(file);
    return {
      status: 200,
      headers: {
        'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'cache-control': relative.startsWith('assets/') ? IMMUTABLE : REVALIDATE,
        'x-content-type-options': 'nosniff',
      },
      body,
    };
  }
}

function text(status: 400 | 404, message: string): StaticResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': REVALIDATE }, body: message };
}
