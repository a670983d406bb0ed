import type { EntryView } from '../../../../shared/image';
import { useInspect } from '../../store/inspect-store';
import { OpenShellButton } from './RootfsShell';

interface Crumb {
  label: string;
  /** Image path to reveal; undefined for the image itself. */
  path?: string;
  archive?: boolean;
}

/**
 * Where the selection is: the image, each archive passed through (as one step, e.g.
 * boot/initrd), then the folders inside the innermost one.
 * `isolab-fixture.iso › boot/initrd › etc › VERSION`
 */
export function crumbsFor(entry: EntryView, imageName: string): Crumb[] {
  const crumbs: Crumb[] = [{ label: imageName }];
  let base = '';
  for (const archive of entry.inside ?? []) {
    if (archive === '/') continue; // A bare initrd: the image is the archive.
    crumbs.push({ label: archive.slice(base.length + 1), path: archive, archive: true });
    base = archive;
  }
  const rest = entry.path.slice(base.length).split('/').filter(Boolean);
  let at = base;
  for (const part of rest) {
    at += '/' + part;
    crumbs.push({ label: part, path: at });
  }
  return crumbs;
}

export function Breadcrumb() {
  const image = useInspect((s) => s.image);
  const entry = useInspect((s) => s.selectedEntry);
  const { revealPath, select } = useInspect.getState();
  if (!image) return null;
  const crumbs = entry ? crumbsFor(entry, image.info.name) : [{ label: image.info.name }];
  return (
    <div className="breadcrumb-bar">
      <nav className="breadcrumb" aria-label="Location in the image" data-testid="breadcrumb">
        <ol>
          {crumbs.map((c, i) => {
            const last = i === crumbs.length - 1;
            return (
              <li key={(c.path ?? '') + i}>
                {i > 0 && (
                  <span className="crumb-sep" aria-hidden="true">
                    {' › '}
                  </span>
                )}
                {last ? (
                  <span className={`crumb current${c.archive ? ' crumb-archive' : ''}`} aria-current="location">
                    {c.label}
                  </span>
                ) : (
                  <button
                    type="button"
                    className={`crumb link-btn${c.archive ? ' crumb-archive' : ''}`}
                    title={c.path ? `Show ${c.path}` : 'Back to the top of the image'}
                    onClick={() => (c.path ? void revealPath(c.path) : select(undefined))}
                  >
                    {c.label}
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      </nav>
      <OpenShellButton />
    </div>
  );
}
