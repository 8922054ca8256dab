import { Flags } from '@oclif/core'

/** --config: for every command that reads the project configuration. */
export const configFlags = {
  config: Flags.string({
    char: 'c',
    summary:
      'Configuration file (default: djenv.yml, djenv.yaml, djenv.json or [tool.djenv] in pyproject.toml, searched upwards).',
    env: 'DJENV_CONFIG',
    helpGroup: 'GLOBAL',
  }),
}

/** --profile and --region: for every command that talks to AWS. */
export const awsFlags = {
  profile: Flags.string({
    summary: 'AWS profile (default: AWS_PROFILE, then the profile in the configuration).',
    helpGroup: 'GLOBAL',
  }),
  region: Flags.string({
    summary:
      "AWS region (default: the configuration's region, then AWS_REGION, then the profile's).",
    helpGroup: 'GLOBAL',
  }),
}

/** --yes: answers "yes" to the one confirmation a command asks. */
export const yesFlag = {
  yes: Flags.boolean({
    char: 'y',
    summary: 'Confirm without asking (required when not on a terminal).',
  }),
}

/** --base: for `djenv secret`, the set every ad hoc env of the base shares. */
export const secretBaseFlag = {
  base: Flags.boolean({
    summary: "Act on the secrets every ad hoc env of ENV's base shares, instead of ENV's own.",
  }),
}
