// warren:cluster — the config of the RabbitMQ nodes warren runs, and the files each node gets.
// Runtimes (Kubernetes, Docker) import from here; components/config wires clusterSchema in.
export { clusterSchema, type ClusterConfig, type ClusterSpec } from "./schema";
export {
  validateCluster,
  isCidr,
  RABBITMQ_PATH_FORBIDDEN,
  MIN_LOGS_SIZE,
  type PreviousCluster,
} from "./validate";
export {
  parseQuantity,
  compareQuantities,
  quantityToBytes,
  isPositiveQuantity,
  type Quantity,
} from "./quantity";
export { informationUnitBytes, INFORMATION_UNIT } from "./units";
export { KNOWN_PLUGINS, BASE_PLUGINS } from "./plugins";
export {
  renderRabbitmqConf,
  renderRabbitmqEnvConf,
  renderEnabledPlugins,
  renderConfigFiles,
  renderErlangCookie,
  enabledPlugins,
  dockerNodeNames,
  definitionsPath,
  tlsPaths,
  DEFAULT_PORTS,
  CONFIG_DIR,
  RABBITMQ_HOME,
  type ClusterRuntime,
  type KubernetesRuntime,
  type DockerRuntime,
  type NodeOptions,
  type NodePorts,
  type RenderedFile,
} from "./render";
export { hashPassword, renderDefinitions, HASHING_ALGORITHM, type AdminUser } from "./definitions";
