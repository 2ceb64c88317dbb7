/**
 * The public face of models/: the model aliases of the config file's `models:` section
 * (`ModelAliases`, `engine.modelAliases`) and `GET /v1/models`. Other folders import from here only.
 */
export { ModelAliases, publicUrl, type ModelPrices } from './model-aliases.ts';
export { modelRoutes } from './model-routes.ts';
