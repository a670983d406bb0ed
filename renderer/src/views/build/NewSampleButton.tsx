import { useState } from 'react';
import type { LabErrorShape } from '../../../../shared/errors';
import { api } from '../../api/lab-api';
import { shape } from '../../store/inspect-store';
import { ErrorNote } from '../inspect/common';
import { HostPicker } from '../inspect/OpenImageDialog';

const SAMPLE_FOLDER = 'hello-iso';

/** A chosen folder that already holds something gets the sample in a new folder inside it. */
export async function sampleDest(folder: string): Promise<string> {
  try {
    const listing = await api.request('host.list', { path: folder });
    if (!listing.entries.length) return folder;
    const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
    return folder.replace(/[\\/]+$/, '') + sep + SAMPLE_FOLDER;
  } catch {
    // Not there yet ("Create it"): the sample makes it.
    return folder;
  }
}

/** "New sample project…": copies the Hello ISO sample into a folder the user picks. */
export function NewSampleButton(props: { label?: string; primary?: boolean; testId?: string; onCreated: (checkout: string) => void }) {
  const [picking, setPicking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<LabErrorShape>();

  const create = async (folder: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const { checkout } = await api.request('sample.create', { dest: await sampleDest(folder) });
      setPicking(false);
      props.onCreated(checkout);
    } catch (err) {
      setError(shape(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className={`btn${props.primary ? ' btn-primary' : ''}`}
        onClick={() => setPicking(true)}
        disabled={busy}
        data-testid={props.testId ?? 'new-sample'}
        title="Copy the Hello ISO sample (builds a small ISO with minikube's layout in minutes) into a folder of your choice"
      >
        {busy ? 'Creating…' : (props.label ?? 'New sample project…')}
      </button>
      {error && !picking && <ErrorNote error={error} compact testId="sample-error" />}
      {picking && (
        <HostPicker
          mode="folder"
          title="Where should the sample project go?"
          chooseLabel="Create the sample here"
          onChoose={(p) => void create(p)}
          onClose={() => {
            setPicking(false);
            setError(undefined);
          }}
          error={error}
          busy={busy}
        />
      )}
    </>
  );
}
