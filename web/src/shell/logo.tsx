/** The Sluice mark: a gate across flowing lines. */
export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#1f4e5f" />
      <path d="M7 11h18M7 16h18M7 21h18" stroke="#9fd3df" strokeWidth="2.5" strokeLinecap="round" />
      <path d="M16 6v20" stroke="#fff" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}
