import { useEffect, useState } from 'react';
import type { LocalImage, MissingBase } from '../../../../shared/build';
import type { LabErrorShape } from '../../../../shared/errors';
import { formatBytes } from '../../../../shared/format';
import { api } from '../../api/lab-api';
import { shape, useBuild } from '../../store/build-store';
import { ErrorNote } from '../inspect/common';
import { Modal } from '../inspect/Modal';

/**
 * "Use a local image…": the engine's own images, to point the build arg that names a missing
 * base image at one of them (offline, the pull of the base image is what fails first).
 */
export function LocalImageDialog({ base, onClose }: { base: MissingBase & { buildArg: string }; onClose: () => void }) {
  const [images, setImages] = useState<LocalImage[] | undefined>();
  const [error, setError] = useState<LabErrorShape | undefined>();
  const [showBuilders, setShowBuilders] = useState(false);
  const [chosen, setChosen] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    api
      .request('build.localImages')
      .then((r) => live && setImages(r.images))
      .catch((err) => live && setError(shape(err)));
    return () => {
      live = false;
    };
  }, []);

  const list = (images ?? []).filter((i) => showBuilders || !i.builder);
  const hidden = (images ?? []).length - list.length;
  const use = (ref: string) => {
    useBuild.getState().setBuildArg(base.buildArg, ref);
    onClose();
  };

  return (
    <Modal title="Use a local image" onClose={onClose} testId="local-image-dialog" initialFocus="[data-autofocus]" wide>
      <p>
        <code>{base.fromLine}</code> takes its image from the build argument <strong>{base.buildArg}</strong>, now <code>{base.image}</code>, which the engine does not
        have. Choose an image the engine has: ISO Lab sets <code>
          {base.buildArg}=…
        </code>{' '}
        in the Overrides’ Build args, and the builder image starts from it instead.
      </p>
      {error && <ErrorNote error={error} compact testId="local-images-error" />}
      {!images && !error && <p className="muted">Asking the engine for its images…</p>}
      {images && list.length === 0 && (
        <p className="muted" data-testid="local-images-empty">
          The engine has no tagged images{hidden ? ' besides ISO Lab’s builder images' : ''}. Load one first (docker load, docker import).
        </p>
      )}
      {list.length > 0 && (
        <ul className="local-images" role="listbox" aria-label="Images on the engine" data-testid="local-images">
          {list.map((i, n) => (
            <li key={i.ref}>
              <button
                type="button"
                role="option"
                aria-selected={chosen === i.ref}
                className={`local-image${chosen === i.ref ? ' selected' : ''}`}
                onClick={() => setChosen(i.ref)}
                onDoubleClick={() => use(i.ref)}
                data-testid="local-image"
                data-ref={i.ref}
                data-autofocus={n === 0 ? true : undefined}
              >
                <code>{i.ref}</code>
                <span className="muted small">
                  {formatBytes(i.size)} · {new Date(i.created * 1000).toLocaleDateString()} · {i.id.replace(/^sha256:/, '').slice(0, 12)}
                  {i.builder ? ' · an ISO Lab builder image' : ''}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {hidden > 0 && (
        <label className="field checkbox small">
          <input type="checkbox" checked={showBuilders} onChange={(e) => setShowBuilders(e.target.checked)} data-testid="show-builder-images" />
          <span>Also show ISO Lab’s builder images ({hidden})</span>
        </label>
      )}
      <div className="view-actions modal-actions">
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="btn btn-primary" disabled={!chosen} onClick={() => chosen && use(chosen)} data-testid="use-local-image">
          Use {chosen ? <code>{chosen}</code> : 'this image'} as {base.buildArg}
        </button>
      </div>
    </Modal>
  );
}
