/** ssh2's key-exchange module, patched by no-sha1-host-key.ts (no published types). */
declare module "ssh2/lib/protocol/kex.js" {
  const kex: { KexInit: new (obj: object) => object };
  export default kex;
}
