import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { Arch, RecipeChoice, RecipeView } from '../../../../shared/build';
import { toRequest, useBuild, type CustomForm } from '../../store/build-store';
import { HostPicker } from '../inspect/OpenImageDialog';
import { ErrorNote } from '../inspect/common';
import { baseName, Copy, dirName } from './common';
import { NewSampleButton } from './NewSampleButton';

const RECIPE_NAMES: Record<Exclude<RecipeChoice, 'auto'>, string> = {
  minikube: 'minikube (today)',
  'minikube-2019': 'minikube (2019)',
  hello: 'Hello ISO (sample)',
  custom: 'Custom',
};

/** The recipe the build will use: the pre-flight's (auto resolved, overrides applied), else the plain one. */
export function useResolvedRecipe(): RecipeView | undefined {
  const preflight = useBuild((s) => s.preflight);
  const recipes = useBuild((s) => s.recipes);
  const choice = useBuild((s) => s.inputs.recipe);
  if (preflight?.recipe) return preflight.recipe;
  const id = choice === 'auto' ? recipes?.auto.recipe : choice;
  return recipes?.recipes.find((r) => r.id === id);
}

function Field(props: { label: string; hint?: string; error?: string; children: ReactNode; wide?: boolean; htmlFor: string }) {
  return (
    <div className={`field build-field${props.wide ? ' build-field-wide' : ''}`}>
      <label htmlFor={props.htmlFor}>
        {props.label} {props.hint && <span className="build-field-hint muted">{props.hint}</span>}
      </label>
      {props.children}
      {props.error && (
        <span className="build-field-error" role="alert">
          {props.error}
        </span>
      )}
    </div>
  );
}

function CustomFields({ plain, isCustom }: { plain?: RecipeView; isCustom: boolean }) {
  const custom = useBuild((s) => s.inputs.custom);
  const inputs = useBuild((s) => s.inputs);
  const { setInputs } = useBuild.getState();
  const { fieldErrors } = toRequest(inputs);
  const id = useId();
  const set = (patch: Partial<CustomForm>) => setInputs({ custom: patch });
  const env = (m?: Record<string, string>) =>
    m && Object.keys(m).length
      ? Object.entries(m)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n')
      : '';
  const count = Object.entries(custom).filter(([, v]) => v !== '').length;
  const open = useBuild((s) => s.overridesOpen);
  const focus = useBuild((s) => s.focusBuildArgs);
  const { setOverridesOpen } = useBuild.getState();
  const argsRef = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (isCustom || count > 0) setOverridesOpen(true);
    // Only on mount and when the recipe becomes custom: a closed section stays closed while typing.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [isCustom]);
  useEffect(() => {
    if (!focus) return;
    const el = argsRef.current;
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    el.focus();
  }, [focus]);
  return (
    <details className="build-custom" open={open} onToggle={(e) => open !== e.currentTarget.open && setOverridesOpen(e.currentTarget.open)} data-testid="custom-fields">
      <summary data-testid="custom-toggle">
        {isCustom ? 'Custom recipe' : 'Overrides'}{' '}
        <span className="muted small">
          {count ? `${count} set` : isCustom ? 'Dockerfile, image, command, output' : 'build args, environment, network… (empty: the recipe’s value)'}
        </span>
      </summary>
      <div className="build-custom-grid">
        <Field label="Dockerfile" htmlFor={`${id}-df`} hint="in the checkout">
          <input id={`${id}-df`} type="text" spellCheck={false} value={custom.dockerfile} placeholder={plain?.dockerfile} onChange={(e) => set({ dockerfile: e.target.value })} data-testid="custom-dockerfile" />
        </Field>
        <Field label="Context folder" htmlFor={`${id}-ctx`} hint="the build context">
          <input id={`${id}-ctx`} type="text" spellCheck={false} value={custom.context} placeholder={plain?.context} onChange={(e) => set({ context: e.target.value })} data-testid="custom-context" />
        </Field>
        <Field label="Image tag" htmlFor={`${id}-img`} error={fieldErrors.image}>
          <input id={`${id}-img`} type="text" spellCheck={false} value={custom.image} placeholder={plain?.image} onChange={(e) => set({ image: e.target.value })} data-testid="custom-image" />
        </Field>
        <Field label="Output" htmlFor={`${id}-out`} hint="a glob, e.g. out/*.iso">
          <input id={`${id}-out`} type="text" spellCheck={false} value={custom.output} placeholder={plain?.output} onChange={(e) => set({ output: e.target.value })} data-testid="custom-output" />
        </Field>
        <Field label="Command" htmlFor={`${id}-cmd`} hint="/bin/sh -c, in the checkout at /mnt" wide>
          <input id={`${id}-cmd`} type="text" spellCheck={false} value={custom.command} placeholder={plain?.command.join(' ')} onChange={(e) => set({ command: e.target.value })} data-testid="custom-command" />
        </Field>
        <Field label="Build args" htmlFor={`${id}-args`} hint="NAME=value a line" error={fieldErrors.buildArgs}>
          <textarea ref={argsRef} id={`${id}-args`} rows={2} spellCheck={false} value={custom.buildArgs} placeholder={env(plain?.buildArgs) || 'BASE=debian:bookworm'} onChange={(e) => set({ buildArgs: e.target.value })} data-testid="custom-build-args" />
        </Field>
        <Field label="Environment" htmlFor={`${id}-env`} hint="NAME=value a line" error={fieldErrors.env}>
          <textarea id={`${id}-env`} rows={2} spellCheck={false} value={custom.env} placeholder={env(plain?.env)} onChange={(e) => set({ env: e.target.value })} data-testid="custom-env" />
        </Field>
        <Field label="Network" htmlFor={`${id}-net`} hint="image build and container">
          <select id={`${id}-net`} value={custom.network} onChange={(e) => set({ network: e.target.value as CustomForm['network'] })} data-testid="custom-network">
            <option value="">recipe default{plain ? ` (${plain.network})` : ''}</option>
            <option value="default">default (docker’s bridge)</option>
            <option value="none">none (no network)</option>
            <option value="host">host</option>
          </select>
        </Field>
      </div>
    </details>
  );
}

/** `make foo` in a description → <code>make foo</code>. */
function withCode(text: string): ReactNode[] {
  return text.split(/`([^`]+)`/).map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part));
}

export function CommandLines({ recipe }: { recipe?: RecipeView }) {
  if (!recipe) return null;
  return (
    <div className="build-commands" data-testid="command-lines">
      <div className="muted small">The same build with the docker command line, from the checkout:</div>
      {[
        { label: 'Builder image', text: recipe.dockerBuild, testId: 'docker-build-line' },
        { label: 'Build', text: recipe.dockerRun, testId: 'docker-run-line' },
      ].map((c) => (
        <div key={c.label} className="build-command">
          <span className="build-command-label muted small">{c.label}</span>
          <code className="build-command-text" data-testid={c.testId}>
            $ {c.text}
          </code>
          <Copy text={c.text} title={`Copy the ${c.label.toLowerCase()} command`} />
        </div>
      ))}
    </div>
  );
}

export function RecipePanel() {
  const inputs = useBuild((s) => s.inputs);
  const recipes = useBuild((s) => s.recipes);
  const recipesError = useBuild((s) => s.recipesError);
  const recent = useBuild((s) => s.recent).filter((r) => r.kind === 'checkout');
  const { setInputs } = useBuild.getState();
  const [picker, setPicker] = useState(false);
  const resolved = useResolvedRecipe();
  const { fieldErrors } = toRequest(inputs);
  const id = useId();

  const autoId = recipes?.auto.recipe ?? null;
  const chosenId = inputs.recipe === 'auto' ? autoId : inputs.recipe;
  // Placeholders show the recipe's own values, before any override.
  const plain = recipes?.recipes.find((r) => r.id === (chosenId ?? 'custom')) ?? resolved;
  const archOptions: Arch[] = resolved?.archOptions ?? plain?.archOptions ?? ['x86_64', 'aarch64'];
  const arch = inputs.arch ?? resolved?.arch ?? 'x86_64';

  return (
    <div className="build-inputs">
      <Field label="Checkout" htmlFor={`${id}-co`} error={fieldErrors.checkout} hint="the top folder of a minikube clone (or of the sample project), on the machine running ISO Lab">
        <div className="build-checkout">
          <input
            id={`${id}-co`}
            type="text"
            className="mono"
            spellCheck={false}
            autoComplete="off"
            placeholder="/home/you/src/minikube"
            value={inputs.checkout}
            onChange={(e) => setInputs({ checkout: e.target.value })}
            data-testid="checkout-input"
          />
          <button type="button" className="btn" onClick={() => setPicker(true)} data-testid="choose-checkout">
            Choose…
          </button>
          <NewSampleButton onCreated={(checkout) => setInputs({ checkout, recipe: 'auto' })} />
        </div>
      </Field>
      {recent.length > 0 && (
        <div className="build-recent" data-testid="recent-checkouts">
          <span className="muted small">Recent:</span>
          {recent.slice(0, 5).map((r) => (
            <button key={r.path} type="button" className="link-btn small" title={r.path} onClick={() => setInputs({ checkout: r.path })}>
              {baseName(r.path)} <span className="muted">{dirName(r.path)}</span>
            </button>
          ))}
        </div>
      )}

      <div className="build-row">
        <Field label="Recipe" htmlFor={`${id}-recipe`}>
          <select id={`${id}-recipe`} value={inputs.recipe} onChange={(e) => setInputs({ recipe: e.target.value as RecipeChoice })} data-testid="recipe-select">
            <option value="auto">Auto{autoId ? `: ${RECIPE_NAMES[autoId]}` : recipes ? ': no match' : ''}</option>
            <option value="minikube">{RECIPE_NAMES.minikube}</option>
            <option value="minikube-2019">{RECIPE_NAMES['minikube-2019']}</option>
            <option value="hello">{RECIPE_NAMES.hello}</option>
            <option value="custom">{RECIPE_NAMES.custom}</option>
          </select>
        </Field>
        <Field label="Architecture" htmlFor={`${id}-arch`}>
          <select id={`${id}-arch`} value={arch} onChange={(e) => setInputs({ arch: e.target.value as Arch })} disabled={archOptions.length < 2} data-testid="arch-select">
            {archOptions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <label className="field checkbox build-rebuild" title="Build the builder image again even when one with the same Dockerfile and context exists">
          <input type="checkbox" checked={inputs.rebuildImage} onChange={(e) => setInputs({ rebuildImage: e.target.checked })} data-testid="rebuild-image" />
          <span>Rebuild image</span>
        </label>
      </div>

      {recipes && inputs.recipe === 'auto' && (
        <p className={`build-auto${autoId ? '' : ' build-auto-none'}`} data-testid="auto-why" data-recipe={autoId ?? ''}>
          {autoId ? (
            <>
              Auto picked <strong>{RECIPE_NAMES[autoId]}</strong>: {recipes.auto.why}
            </>
          ) : (
            <>
              <strong>Auto found no known layout:</strong> {recipes.auto.why}. Choose a recipe, or Custom.
            </>
          )}
        </p>
      )}
      {resolved && <p className="muted small build-recipe-desc">{withCode(resolved.description)}</p>}
      {recipesError && <ErrorNote error={recipesError} compact testId="recipes-error" />}

      <CustomFields plain={plain} isCustom={inputs.recipe === 'custom' || (inputs.recipe === 'auto' && recipes !== undefined && autoId === null)} />

      {picker && (
        <HostPicker
          mode="folder"
          title="Choose the checkout folder"
          chooseLabel="Use this folder"
          onClose={() => setPicker(false)}
          onChoose={(p) => {
            setPicker(false);
            setInputs({ checkout: p });
          }}
        />
      )}
    </div>
  );
}
