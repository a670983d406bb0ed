/** Compare two ISOs: what changed in the image and inside its archives. */
export function CompareView() {
  return (
    <div className="view" data-testid="compare">
      <header className="view-head">
        <div>
          <h1>Compare</h1>
        </div>
      </header>
    </div>
  );
}
