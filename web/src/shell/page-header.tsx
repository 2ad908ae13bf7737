import type { ReactNode } from "react";
import { followLink } from "../navigation.ts";

export type Crumb = string | { label: string; href: string };

/** A page's breadcrumb (earlier crumbs may link back), title (focused after navigation), section tabs and actions. */
export function PageHeader({
  title,
  breadcrumb,
  tabs,
  actions,
  children,
}: {
  title: string;
  breadcrumb: Crumb[];
  tabs?: { label: string; current: boolean }[];
  /** Buttons at the title's right. */
  actions?: ReactNode;
  /** A line under the title. */
  children?: ReactNode;
}) {
  return (
    <div className="page-header">
      <nav aria-label="Breadcrumb">
        <ol className="breadcrumb">
          {breadcrumb.map((crumb, i) => (
            <li
              key={typeof crumb === "string" ? crumb : crumb.label}
              aria-current={i === breadcrumb.length - 1 ? "page" : undefined}
            >
              {typeof crumb === "string" ? (
                crumb
              ) : (
                <a href={crumb.href} onClick={followLink}>
                  {crumb.label}
                </a>
              )}
            </li>
          ))}
        </ol>
      </nav>
      {actions ? (
        <div className="page-title-row">
          <h1 tabIndex={-1}>{title}</h1>
          <div className="page-actions">{actions}</div>
        </div>
      ) : (
        <h1 tabIndex={-1}>{title}</h1>
      )}
      {children}
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
