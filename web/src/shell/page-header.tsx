/** A page's breadcrumb, title (focused after navigation) and section tabs. */
export function PageHeader({
  title,
  breadcrumb,
  tabs,
}: {
  title: string;
  breadcrumb: string[];
  tabs?: { label: string; current: boolean }[];
}) {
  return (
    <div className="page-header">
      <nav aria-label="Breadcrumb">
        <ol className="breadcrumb">
          {breadcrumb.map((crumb, i) => (
            <li key={crumb} aria-current={i === breadcrumb.length - 1 ? "page" : undefined}>
              {crumb}
            </li>
          ))}
        </ol>
      </nav>
      <h1 tabIndex={-1}>{title}</h1>
      {tabs ? (
        <nav className="page-tabs" aria-label={`${title} sections`}>
          {tabs.map((t) => (
            <a
              key={t.label}
              href={window.location.pathname}
              className="page-tab"
              aria-current={t.current ? "page" : undefined}
            >
              {t.label}
            </a>
          ))}
        </nav>
      ) : null}
    </div>
  );
}
