// A secret as a stack file holds it: `{secure: ...}` (not decryptable without the engine), or the
// decrypted string the engine hands the program. Its own module: several schemas use it.
import { z } from "zod";

export const secretValue = z.union([z.string().min(1, "must not be empty"), z.object({ secure: z.string() }).strict()]);
