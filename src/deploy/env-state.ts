import type { EnvNames } from '../config/naming.js'

/**
 * State djenv keeps outside CloudFormation (a stack update would reset it), as SSM String
 * parameters under `<envSsmRoot>/state/` (infrastructure.md §3).
 */
export const statePaths = (names: Pick<EnvNames, 'envSsmRoot'>) => {
  const root = `${names.envSsmRoot}/state`
  return {
    root,
    createdAt: `${root}/created-at`,
    deployedAt: `${root}/deployed-at`,
    ttl: `${root}/ttl`,
    database: `${root}/database`,
    image: (task: string) => `${root}/images/${task}`,
    desired: (service: string) => `${root}/desired/${service}`,
  }
}

/** The claim of a listener-rule priority block on a base's shared listener. */
export function priorityClaim(ssmRoot: string, priority: number): string {
  return `${ssmRoot}/priorities/${priority}`
}

/** The tag part of an image reference `registry/repo:tag` (digests are not tags). */
export function tagOf(image: string): string | undefined {
  const last = image.split('/').pop() ?? ''
  const at = last.indexOf('@')
  const name = at >= 0 ? last.slice(0, at) : last
  const colon = name.indexOf(':')
  return colon >= 0 ? name.slice(colon + 1) : undefined
}
