// Security: every image is pinned by a tag (not `latest`) or a digest.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { imagePinIssue, isImageId } from "../../components/core/images";
import { T, containersOf } from "../lib/resources";

export const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description: "Images are pinned by tag (not `latest`) or digest.",
  severity: "high",
  remediationSteps: "Name images with an explicit version tag, e.g. rabbitmq:3.10.8-management.",
  validateResource: (args, report) => {
    // The same judgement as the config schemas (components/core/images.ts), so a config the
    // schema accepts is never refused here, and the other way round.
    const check = (image: unknown, where: string) => {
      const why = typeof image === "string" && image !== "" ? imagePinIssue(image) : "is empty";
      if (why)
        report(`${where} uses image ${JSON.stringify(image)}, which is not pinned: it ${why}`);
    };
    if (args.type === T.statefulSet || args.type === T.deployment)
      for (const c of containersOf(args.props)) check(c.image, `container "${c.name}"`);
    // A Docker container names its image by ID (from a RemoteImage, checked by name below); an
    // ID is pinned by definition, and unknown during a first preview (reading it would throw).
    if (args.type === T.container) {
      let image: unknown;
      try {
        image = args.props.image;
      } catch {
        image = undefined;
      }
      if (typeof image === "string" && !isImageId(image))
        check(image, `container "${args.props.name}"`);
    }
    if (args.type === T.remoteImage) check(args.props.name, "remote image");
  },
};
