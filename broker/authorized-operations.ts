/**
 * The authorized-operations field of Metadata, DescribeCluster, DescribeGroups and friends: Kafka
 * answers Integer.MIN_VALUE when the client did not ask for them, and there are no ACLs to report.
 */
export const AUTHORIZED_OPERATIONS_NOT_REQUESTED = -2147483648;
