import { definePlugin } from '../core/index.js';
import { providerMigrations, PROVIDER_KEY_COLUMN } from './migrations.js';
import { providerRoutes } from './routes.js';
import { createProviderService, type ProviderService } from './service.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Model providers (keys sealed in the vault) and their clients. */
    providers: ProviderService;
  }
}

/** Model providers: any OpenAI-compatible server, its key sealed in the vault (DATA-1). */
export const providersPlugin = definePlugin({
  name: 'providers',
  migrations: providerMigrations,
  sealedColumns: [PROVIDER_KEY_COLUMN],
  init({ storage, vault, audit, now }) {
    const providers = createProviderService({ storage, vault, audit, now });
    return {
      services: { providers },
      routes: [providerRoutes(providers)],
      // A row changed behind the service's back (another replica, a restore, SQL) with the same updated_at.
      contributes: { invalidators: [(scope) => (scope === undefined || scope === 'providers' ? providers.dropCache() : undefined)] },
    };
  },
});
