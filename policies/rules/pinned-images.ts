// Security: every image is pinned by a tag (not `latest`) or a digest.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { T, containersOf, isPinnedImage } from "../lib/resources";

export const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description: "Images are pinned by tag (not `latest`) or digest.",
  severity: "high",
  remediationSteps: "Name images with an explicit version tag, e.g. rabbitmq:3.10.8-management.",
  validateResource: (args, report) => {
    const check = (image: unknown, where: string) => {
      if (!isPinnedImage(image)) report(`${where} uses image ${JSON.stringify(image)}, which is not pinned (no tag, or "latest")`);
    };
    if (args.type === T.statefulSet || args.type === T.deployment)
      for (const c of containersOf(args.props)) check(c.image, `container "${c.name}"`);
    if (args.type === T.container) check(args.props.image, `container "${args.props.name}"`);
    if (args.type === T.remoteImage) check(args.props.name, "remote image");
  },
};
