import { Validations } from 'aws-cdk-lib'
import type { IConstruct } from 'constructs'

/**
 * A validation finding djenv accepts by design, with the reason a reviewer reads. Ids are
 * exact: `AwsSolutions-IAM5[Resource::*]` for cdk-nag, `CloudFormation-Validate::W…` for
 * the built-in validator; prefixes match nothing.
 */
export interface Acknowledgement {
  scope: IConstruct
  id: string
  reason: string
}

/**
 * Findings a stack accepts. Stacks collect them while building, and the `add…Stack`
 * functions apply them, so tests can build a stack with one left out and see the rule fire.
 */
export class Acknowledgements {
  private readonly list: Acknowledgement[] = []

  add(scope: IConstruct, id: string, reason: string): void {
    this.list.push({ scope, id, reason })
  }

  get all(): readonly Acknowledgement[] {
    return this.list
  }

  /** Records every acknowledgement except those whose id is in `except`. */
  apply(except: readonly string[] = []): void {
    for (const { scope, id, reason } of this.list) {
      if (!except.includes(id)) Validations.of(scope).acknowledge({ id, reason })
    }
  }
}

/** Anything that collected acknowledgements while it was built. */
export interface Acknowledging {
  readonly acknowledgements: Acknowledgements
}
