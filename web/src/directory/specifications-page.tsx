import { PageHeader } from "../shell/page-header.tsx";

const specs = [
  {
    kind: "users",
    title: "User Import Specification",
    text: "The columns of a User Sync file: people, their approvers, departments and leave dates.",
  },
  {
    kind: "projects",
    title: "Project Import Specification",
    text: "The columns of a Project Sync file: codes, names, clients, dates and billing.",
  },
] as const;

/** The public Import Specifications and their template CSVs, to forward to IT. */
export function SpecificationsPage() {
  return (
    <>
      <PageHeader title="Downloads" breadcrumb={["Admin", "Integration", "Downloads"]} />
      <section className="panel" aria-labelledby="specs-heading">
        <div className="panel-header">
          <div>
            <h2 id="specs-heading">Import specifications</h2>
            <p className="muted">
              Public pages with no account data: send the links to the team that produces your files.
            </p>
          </div>
        </div>
        <ul className="spec-list">
          {specs.map((s) => (
            <li key={s.kind} className="spec-item">
              <h3>{s.title}</h3>
              <p className="muted">{s.text}</p>
              <p className="spec-links">
                <a
                  className="button button-small"
                  href={`/api/v1/specifications/${s.kind}?format=html`}
                  target="_blank"
                  rel="noopener"
                >
                  Open {s.title}
                </a>
                <a className="button button-small" href={`/api/v1/specifications/${s.kind}/template.csv`} download>
                  Download {s.kind === "users" ? "user" : "project"} template (CSV)
                </a>
              </p>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
