import Docker from 'dockerode';

/**
 * The networks a dyno's traffic uses: its own, or those of the network
 * sandbox it joined (the docker runtime starts a push's web dynos in one),
 * with that sandbox's container.
 */
export async function dynoNetwork(
  id: string,
): Promise<{ networks: Record<string, Docker.NetworkInfo>; sandbox?: Docker.ContainerInspectInfo }> {
  const docker = new Docker();
  const dyno = await docker.getContainer(id).inspect();
  const sandboxId = dyno.Config.Labels?.['plat.in-sandbox'];
  if (!sandboxId) return { networks: dyno.NetworkSettings.Networks };
  const sandbox = await docker.getContainer(sandboxId).inspect();
  return { networks: sandbox.NetworkSettings.Networks, sandbox };
}
