// Security: every image is pinned by a tag (not `latest`) or a digest.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { imagePinIssue, isImageId } from "../../components/core/images";
import { T, containersOf, propsOf } from "../lib/resources";

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
    const workload = propsOf(args, T.statefulSet, T.deployment);
    if (workload) for (const c of containersOf(workload)) check(c.image, `container "${c.name}"`);
    // A Docker container names its image by ID (from a RemoteImage, checked by name below); an
    // ID is pinned by definition, and unknown during a first preview (reading it would throw).
    const container = propsOf(args, T.container);
    if (container) {
      let image: unknown;
      try {
        image = container.image;
      } catch {
        image = undefined;
      }
      if (typeof image === "string" && !isImageId(image))
        check(image, `container "${String(container.name)}"`);
    }
    const remoteImage = propsOf(args, T.remoteImage);
    if (remoteImage) check(remoteImage.name, "remote image");
  },
};
