import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** A temporary directory tree for one test; `write` creates files, `cleanup` removes it all. */
export function tempTree(prefix = 'djenv-test-') {
  const root = mkdtempSync(join(tmpdir(), prefix))
  return {
    root,
    path: (...parts: string[]) => join(root, ...parts),
    write(relPath: string, text: string): string {
      const file = join(root, relPath)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, text)
      return file
    },
    mkdir(relPath: string): string {
      const dir = join(root, relPath)
      mkdirSync(dir, { recursive: true })
      return dir
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  }
}

/** The smallest valid configuration, as YAML. */
export const MINIMAL_YAML = `project: shop
region: eu-west-1
domain: shop.example.com
hostedZoneId: Z0123456789ABCDEFGHIJ
image:
  repository: shop
django:
  settingsModule: shop.settings
services:
  web:
    command: gunicorn shop.wsgi
`

/** The same configuration as a plain object. */
export const MINIMAL_CONFIG = {
  project: 'shop',
  region: 'eu-west-1',
  domain: 'shop.example.com',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  image: { repository: 'shop' },
  django: { settingsModule: 'shop.settings' },
  services: { web: { command: 'gunicorn shop.wsgi' } },
}
