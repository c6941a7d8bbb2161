import { columnTypes, type Migration } from '../../storage/index.js';

/** Which familiar answers where on Telegram, Discord and Twitch (issue #22). */
export const familiarRouteMigrations: Migration[] = [
  {
    name: '1240_channel_familiar_routes',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('channel_familiar_routes')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('place', 'text', (c) => c.notNull())
        .addColumn('familiar_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('channel_familiar_routes_pk', ['channel', 'place'])
        .execute();
      await db.schema.createIndex('channel_familiar_routes_familiar').on('channel_familiar_routes').column('familiar_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('channel_familiar_routes').execute();
    },
  },
  {
    // Several Twitch channels, each with its familiar and its own command prefix (issue #22).
    name: '1310_twitch_channels',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('twitch_channels')
        .addColumn('broadcaster_id', 'text', (c) => c.primaryKey())
        .addColumn('familiar_id', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('twitch_channels_familiar').on('twitch_channels').column('familiar_id').execute();
    },
    async down(db) {
      await db.schema.dropTable('twitch_channels').execute();
    },
  },
];
