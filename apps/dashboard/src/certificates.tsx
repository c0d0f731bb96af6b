/** The app's HTTPS certificates (Settings): each one's names, state and expiry; uploading an own one; removing it. */
import type { Certificate, Certs } from '@plat/core';
import { useState } from 'preact/hooks';
import { ActionButton, ErrorText } from './common.js';
import { expiry } from './format.js';
import { type Loaded, useAction } from './hooks.js';
import { useSession } from './session.js';

/** A few names, then how many more: a button or a row stays readable with a wildcard-heavy certificate. */
function names(hostnames: string[]): string {
  if (hostnames.length <= 3) return hostnames.join(', ');
  return `${hostnames.slice(0, 3).join(', ')} and ${hostnames.length - 3} more`;
}

export function Certificates({ app, certs }: { app: string; certs: Loaded<Certs> }) {
  const list = certs.data?.certificates ?? [];
  return (
    <>
      <h3 id="certificates-heading">Certificates</h3>
      {certs.data && list.length === 0 && (
        <p>{certs.data.acm ? 'None yet: automatic ones are on their way.' : 'None: HTTPS needs one.'}</p>
      )}
      {list.length > 0 && (
        <ul class="rows" aria-labelledby="certificates-heading">
          {list.map((cert) => (
            <CertificateRow key={cert.id} app={app} cert={cert} onRemoved={certs.reload} />
          ))}
        </ul>
      )}
      <CertificateUpload app={app} onAdded={certs.reload} />
    </>
  );
}

function CertificateRow({ app, cert, onRemoved }: { app: string; cert: Certificate; onRemoved: () => void }) {
  const { client } = useSession();
  const remove = useAction();
  return (
    <li data-certificate={cert.id}>
      <code>{names(cert.hostnames)}</code>
      {/* `failing: <reason>` is coloured as failing; `not yet valid` as not-yet-valid. */}
      <span class={`state state-${cert.state.split(':')[0]!.replace(/\s+/g, '-')}`}>{cert.state}</span>
      <span class="cert-expiry">{expiry(cert.not_after)}</span>
      <span class="muted">
        {cert.source === 'acme' ? 'automatic' : 'uploaded'}
        {cert.issuer ? `, issued by ${cert.issuer}` : ''}
      </span>
      {cert.source === 'manual' ? (
        <ActionButton
          action={remove}
          kind="danger"
          onRun={async () => {
            await client.certs.remove(app, cert.id);
            onRemoved();
          }}
        >
          {`Remove certificate for ${names(cert.hostnames)}`}
        </ActionButton>
      ) : (
        <span class="muted">renewed by Plat while automatic certificates are on</span>
      )}
    </li>
  );
}

/** PEM text pasted, or read from a chosen file into the field (nothing is sent until the button). */
function CertificateUpload({ app, onAdded }: { app: string; onAdded: () => void }) {
  const { client } = useSession();
  const [chain, setChain] = useState('');
  const [key, setKey] = useState('');
  const [done, setDone] = useState<string | undefined>(undefined);
  const upload = useAction();
  const readInto = (set: (text: string) => void) => (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (file) void file.text().then(set);
  };
  return (
    <>
      <form
        class="cert-upload"
        aria-labelledby="cert-upload-heading"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          setDone(undefined);
          void upload.run(async () => {
            const added = await client.certs.add(app, { certificateChain: chain, privateKey: key });
            // The key leaves the page's fields (and the file pickers) once platd has it.
            form.reset();
            setChain('');
            setKey('');
            const replaced = added.replaced.length ? `; it replaces ${added.replaced.length} older one(s)` : '';
            setDone(`Uploaded: HTTPS for ${names(added.covers)}, ${expiry(added.not_after)}${replaced}.`);
            onAdded();
          });
        }}
      >
        <h4 id="cert-upload-heading">Upload a certificate</h4>
        <p class="muted">
          For a domain added above: the server certificate first, then its intermediates, and its unencrypted key.
        </p>
        <label>
          Certificate chain (PEM)
          <textarea rows={4} spellcheck={false} value={chain} onInput={(e) => setChain(e.currentTarget.value)} />
        </label>
        <label>
          Certificate file
          <input type="file" accept=".pem,.crt,.cer,.txt" onChange={readInto(setChain)} />
        </label>
        <label>
          Private key (PEM)
          <textarea
            rows={4}
            spellcheck={false}
            autocomplete="off"
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <label>
          Private key file
          <input type="file" accept=".pem,.key,.txt" onChange={readInto(setKey)} />
        </label>
        <button type="submit" disabled={upload.busy || !chain.trim() || !key.trim()}>
          Upload certificate
        </button>
      </form>
      <ErrorText error={upload.error} />
      {done && <p role="status">{done}</p>}
    </>
  );
}
