// The RabbitMQ 3.10 plugins a node can enable, and the ones every warren node always enables.

/**
 * Every plugin `rabbitmq-plugins list` shows for RabbitMQ 3.10.8 (Debian's package and the
 * official image ship the same set). Checked against a real install:
 * `rabbitmq-plugins list -m` with /usr/lib/rabbitmq/lib/rabbitmq_server-3.10.8.
 */
export const KNOWN_PLUGINS = [
  "rabbitmq_amqp1_0",
  "rabbitmq_auth_backend_cache",
  "rabbitmq_auth_backend_http",
  "rabbitmq_auth_backend_ldap",
  "rabbitmq_auth_backend_oauth2",
  "rabbitmq_auth_mechanism_ssl",
  "rabbitmq_consistent_hash_exchange",
  "rabbitmq_event_exchange",
  "rabbitmq_federation",
  "rabbitmq_federation_management",
  "rabbitmq_jms_topic_exchange",
  "rabbitmq_management",
  "rabbitmq_management_agent",
  "rabbitmq_mqtt",
  "rabbitmq_peer_discovery_aws",
  "rabbitmq_peer_discovery_common",
  "rabbitmq_peer_discovery_consul",
  "rabbitmq_peer_discovery_etcd",
  "rabbitmq_peer_discovery_k8s",
  "rabbitmq_prometheus",
  "rabbitmq_random_exchange",
  "rabbitmq_recent_history_exchange",
  "rabbitmq_sharding",
  "rabbitmq_shovel",
  "rabbitmq_shovel_management",
  "rabbitmq_stomp",
  "rabbitmq_stream",
  "rabbitmq_stream_management",
  "rabbitmq_top",
  "rabbitmq_tracing",
  "rabbitmq_trust_store",
  "rabbitmq_web_dispatch",
  "rabbitmq_web_mqtt",
  "rabbitmq_web_mqtt_examples",
  "rabbitmq_web_stomp",
  "rabbitmq_web_stomp_examples",
] as const;

/** Enabled on every node whatever the config says: the management API and the metrics endpoint. */
export const BASE_PLUGINS = ["rabbitmq_management", "rabbitmq_prometheus"] as const;

/**
 * Peer discovery is the runtime's choice (k8s on Kubernetes, classic_config on Docker), so
 * config may not enable a peer discovery plugin of its own.
 */
export const PEER_DISCOVERY_PREFIX = "rabbitmq_peer_discovery_";

/** Plugins that accept anonymous clients unless told not to (`mqtt.allow_anonymous`). */
export const MQTT_PLUGINS = [
  "rabbitmq_mqtt",
  "rabbitmq_web_mqtt",
  "rabbitmq_web_mqtt_examples",
] as const;
