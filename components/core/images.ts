// Container image references: every image warren runs must name a version, and the schemas and
// the policy pack judge that with this one function.
import { z } from "zod";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Why an image reference is not pinned to a version tag or a digest; undefined when it is. */
export function imagePinIssue(image: string): string | undefined {
  const at = image.indexOf("@");
  if (at >= 0) return DIGEST.test(image.slice(at + 1)) ? undefined : "has a malformed digest";
  // A colon before the last slash belongs to a registry port (registry:5000/rabbitmq).
  const colon = image.lastIndexOf(":");
  const tag = colon > image.lastIndexOf("/") ? image.slice(colon + 1) : "";
  if (tag === "") return 'has no tag (Docker would pull "latest")';
  if (tag === "latest") return 'uses the moving tag "latest"';
  return undefined;
}

/** A bare image ID (`sha256:<64 hex>`, what a provider reports for a pulled image): pinned by nature. */
export function isImageId(image: string): boolean {
  return DIGEST.test(image);
}

/** A schema for an image reference that must be pinned; `example` goes into the message. */
export function pinnedImage(example: string) {
  return z.string().superRefine((value, ctx) => {
    const why = imagePinIssue(value);
    if (why)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `must be pinned to a version tag or a digest, e.g. ${JSON.stringify(example)}: ${JSON.stringify(value)} ${why}`,
      });
  });
}
