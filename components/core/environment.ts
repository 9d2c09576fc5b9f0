// The environments a stack can be (the policy pack and several defaults depend on it).

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
