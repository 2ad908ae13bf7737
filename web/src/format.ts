const units = ["KB", "MB", "GB", "TB"];

/** `812 bytes`, `14.2 KB`, `1.3 GB` (binary multiples, as file managers on Windows show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

const exact = new Intl.NumberFormat();

/** `12,345 bytes`, for a title beside the rounded size. */
export const exactBytes = (bytes: number) => `${exact.format(bytes)} ${bytes === 1 ? "byte" : "bytes"}`;
