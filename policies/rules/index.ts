// Every rule of the policy pack, importable without constructing the PolicyPack (which starts a
// gRPC server and reads package.json), so tests can run them directly.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { administratorTag } from "./administrator-tag";
import { alertsAlternateExchange } from "./alerts-alternate-exchange";
import { bindingsReferenceExisting } from "./bindings-reference-existing";
import { brokerTls } from "./broker-tls";
import { channelSeverities } from "./channel-severities";
import { clusterReplicas } from "./cluster-replicas";
import { clusterVolumes } from "./cluster-volumes";
import { consumerHardening } from "./consumer-hardening";
import { deadLetteredAndBounded } from "./dead-lettered-and-bounded";
import { disruptionBudget } from "./disruption-budget";
import { durable } from "./durable";
import { leastPrivilege } from "./least-privilege";
import { memoryAndDisk } from "./memory-and-disk";
import { noExposureWithoutTls } from "./no-exposure-without-tls";
import { noGuestUser } from "./no-guest-user";
import { pagingReplicas } from "./paging-replicas";
import { pinnedImages } from "./pinned-images";
import { producerTopicPermissions } from "./producer-topic-permissions";
import { queuesBoundOrConsumed } from "./queues-bound-or-consumed";
import { queuesRetained } from "./queues-retained";
import { quorumAlertQueues } from "./quorum-alert-queues";
import { secretsFromSecrets } from "./secrets-from-secrets";
import { workloadResources } from "./workload-resources";

export type Rule = ResourceValidationPolicy | StackValidationPolicy;

/** The rules by group; the environment configs (dev.json, prod.json) enforce by group. */
export const GROUPS = {
  security: [
    noGuestUser,
    administratorTag,
    leastPrivilege,
    producerTopicPermissions,
    noExposureWithoutTls,
    brokerTls,
    secretsFromSecrets,
    pinnedImages,
  ],
  durability: [durable, quorumAlertQueues, deadLetteredAndBounded, queuesRetained],
  cluster: [clusterReplicas, clusterVolumes, workloadResources, disruptionBudget, memoryAndDisk],
  consumers: [consumerHardening, pagingReplicas],
  routing: [
    queuesBoundOrConsumed,
    bindingsReferenceExisting,
    alertsAlternateExchange,
    channelSeverities,
  ],
} satisfies Record<string, Rule[]>;

export const RULES: readonly Rule[] = Object.values(GROUPS).flat();
