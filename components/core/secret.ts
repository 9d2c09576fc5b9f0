// A secret as config holds it: `{secure: ...}` in a stack file (not decryptable without the
// engine), or the decrypted string the engine hands the program. Several schemas use it.
import { z } from "zod";

export const secretValue = z.union([
  z.string().min(1, "must not be empty"),
  z.object({ secure: z.string() }).strict(),
]);

/** A secret as config holds it: decrypted (under the engine) or still encrypted (in a stack file). */
export type SecretInput = string | { readonly secure: string };
