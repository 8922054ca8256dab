/**
 * Feature flags of every djenv App, set in code because an in-process App reads no
 * `cdk.json` (infrastructure.md §1.5). Each is aws-cdk-lib's recommended value for a
 * behaviour these stacks rely on; changing one can replace resources, so review the
 * template diff of every stack when touching this list.
 */
export const DJENV_FEATURE_FLAGS = {
  // Validation findings are errors, and construct warnings join the validation report.
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/core:annotationsInValidationReport': true,
  // Literal partitions in ARNs ("arn:aws:…"), so grants name exact resources.
  '@aws-cdk/core:enablePartitionLiterals': true,
  // A SecretValue can never end up in a template as a plain string.
  '@aws-cdk/core:checkSecretUsage': true,
  // SNAPSHOT only where CloudFormation honours it (RDS), never silently ignored.
  '@aws-cdk/core:validateSnapshotRemovalPolicy': true,
  // Stack tags come from the stack's `tags`; Tags.of() tags resources only.
  '@aws-cdk/core:explicitStackTags': true,
  '@aws-cdk/core:includePrefixInUniqueNameGeneration': true,
  // One merged statement per action set instead of one per grant.
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/aws-s3:publicAccessBlockedByDefault': true,
  '@aws-cdk/aws-ec2:requirePrivateSubnetsForEgressOnlyInternetGateway': true,
  // Task ARNs that name their cluster, as ECS Exec and the runtime expect.
  '@aws-cdk/aws-ecs:arnFormatIncludesClusterName': true,
  // Circuit breakers without an explicit ECS deployment controller block.
  '@aws-cdk/aws-ecs:disableExplicitDeploymentControllerForCircuitBreaker': true,
  // Log permissions only on the configured log group, never on `*`.
  '@aws-cdk/aws-ecs:reduceEc2FargateCloudWatchPermissions': true,
  // No empty DeploymentAlarms block on services.
  '@aws-cdk/aws-ecs:removeDefaultDeploymentAlarm': true,
  // Services without a target group say so (`LoadBalancers: []`).
  '@aws-cdk/aws-ecs:removeEmptyLoadBalancers': true,
  '@aws-cdk/aws-secretsmanager:useAttachedSecretResourcePolicyForSecretTargetAttachments': true,
} as const satisfies Record<string, boolean>

/**
 * Context key of the availability zones of an account and region. `Vpc` reads it even when
 * given `availabilityZones`; without it an offline synthesis reports missing context.
 */
export function availabilityZonesContextKey(account: string, region: string): string {
  return `availability-zones:account=${account}:region=${region}`
}

/** The context entry that lets a base stack synthesize offline with the configured zones. */
export function availabilityZonesContext(
  account: string,
  region: string,
  zones: readonly string[],
): Record<string, string[]> {
  return { [availabilityZonesContextKey(account, region)]: [...zones] }
}

/** Context every djenv App gets: the feature flags and the configured zones of the account. */
export function djenvContext(
  config: { region: string; availabilityZones?: readonly string[] },
  account: string,
): Record<string, unknown> {
  const zones = config.availabilityZones ?? [`${config.region}a`, `${config.region}b`]
  return { ...DJENV_FEATURE_FLAGS, ...availabilityZonesContext(account, config.region, zones) }
}
