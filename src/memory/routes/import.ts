import type { RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { importEnvelope, type MemoryImporter } from '../import.js';
import { actorOf } from './errors.js';

/**
 * `POST /api/memories/import` (admins): `{rows: [{externalId, userId, familiarId, text, metadata?}]}`,
 * all or nothing. 200 `{imported, existing, flagged, results}`; any bad row → 422 with
 * `details.errors` naming every refused row (index, externalId, reason, field) and nothing written.
 */
export function memoryImportRoutes(importer: MemoryImporter): RouteModule {
  return (app) => {
    app.post('/api/memories/import', { config: { policy: policy.admin() }, schema: { body: importEnvelope } }, async (request) => {
      const p = requirePrincipal(request);
      return importer.run(request.body.rows, { actor: actorOf(p), source: 'api', requestId: request.id });
    });
  };
}
