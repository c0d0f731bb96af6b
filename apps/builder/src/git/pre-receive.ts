/**
 * The pre-receive hook: git runs it with the pushed objects in quarantine,
 * so this process (which sees them) archives the pushed commit and sends it
 * to platd, then prints platd's build output for the pushing terminal. A
 * non-zero exit rejects the push and leaves the app's refs untouched.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import type { BuildEvent } from '@plat/core';

const ZERO = /^0+$/;
const DEPLOY_REFS = ['refs/heads/main', 'refs/heads/master'];

async function readUpdates(): Promise<{ oldRev: string; newRev: string; ref: string }[]> {
  const updates = [];
  for await (const line of createInterface({ input: process.stdin })) {
    const [oldRev, newRev, ref] = line.trim().split(/\s+/);
    if (oldRev && newRev && ref) updates.push({ oldRev, newRev, ref });
  }
  return updates;
}

function deploy(update: { oldRev: string; newRev: string; ref: string }): Promise<boolean> {
  const commit = update.newRev;
  const url = new URL(process.env.PLAT_HOOK_URL ?? '');
  url.searchParams.set('commit', commit);
  url.searchParams.set('ref', update.ref);
  url.searchParams.set('old', update.oldRev);
  const archive = spawn('git', ['archive', '--format=tar', commit], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-tar', 'x-plat-hook-secret': process.env.PLAT_HOOK_SECRET ?? '' },
    });
    let answered = false;
    req.on('error', (error) => {
      // platd may answer (a refusal) before it has read the whole archive; the
      // write then fails, but its answer is still arriving: let that decide.
      if (answered) return;
      console.log(` !     Could not reach platd: ${error.message}`);
      resolve(false);
    });
    req.on('response', (res) => {
      answered = true;
      let ok = false;
      const lines = createInterface({ input: res });
      lines.on('line', (line) => {
        if (!line) return;
        let event: BuildEvent;
        try {
          event = JSON.parse(line) as BuildEvent;
        } catch {
          console.log(line);
          return;
        }
        if (event.type === 'line') console.log(event.text);
        else if (event.ok) ok = true;
        else console.log(` !     ${event.message}`);
      });
      lines.on('close', () => resolve(ok));
    });
    archive.stdout.pipe(req);
  });
}

const updates = await readUpdates();
const target = DEPLOY_REFS.map((ref) => updates.find((update) => update.ref === ref)).find(Boolean);
if (!target) {
  console.log('Plat deploys pushes to main (or master); other branches are stored but not built.');
  process.exit(0);
}
if (ZERO.test(target.newRev)) {
  console.log(` !     Deleting ${target.ref.replace('refs/heads/', '')} is not allowed: it is what the app runs.`);
  process.exit(1);
}
const code = (await deploy(target)) ? 0 : 1;
// Exit only once all that was printed has gone to git: a refusal's last line is what the pusher needs.
process.stdout.write('', () => process.exit(code));
