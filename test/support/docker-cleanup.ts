import { HostFirewall } from '@plat/api';
import Docker from 'dockerode';

/** Removes every container, network, image and firewall rule a test platd made (by its instance label and tag). */
export async function removeInstanceResources(instance: string): Promise<void> {
  const docker = new Docker();
  const filters = { label: [`plat.instance=${instance}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(
    volumes.map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  await new HostFirewall({ instance }).releaseAll();
  const images = await docker.listImages({ filters });
  for (const image of images)
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

export async function instanceContainers(instance: string): Promise<Docker.ContainerInfo[]> {
  return new Docker().listContainers({ all: true, filters: { label: [`plat.instance=${instance}`] } });
}
