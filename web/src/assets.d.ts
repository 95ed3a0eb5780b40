// Stylesheets are imported for their side effect: esbuild bundles them into
// dist/assets/app-<hash>.css.
declare module "*.css";
