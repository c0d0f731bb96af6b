import type { Sql } from './database.js';

export interface CollaboratorRow {
  email: string;
  created_at: Date;
}

export async function listCollaborators(sql: Sql, appId: string): Promise<CollaboratorRow[]> {
  return sql<CollaboratorRow[]>`
    select users.email, collaborators.created_at from collaborators join users on users.id = collaborators.user_id
    where collaborators.app_id = ${appId} order by users.email`;
}

export async function isCollaborator(sql: Sql, appId: string, userId: string): Promise<boolean> {
  const [row] = await sql`select 1 from collaborators where app_id = ${appId} and user_id = ${userId}`;
  return row !== undefined;
}

export async function addCollaborator(sql: Sql, appId: string, userId: string): Promise<boolean> {
  const rows =
    await sql`insert into collaborators (app_id, user_id) values (${appId}, ${userId}) on conflict do nothing`;
  return rows.count === 1;
}

export async function removeCollaborator(sql: Sql, appId: string, userId: string): Promise<boolean> {
  const rows = await sql`delete from collaborators where app_id = ${appId} and user_id = ${userId}`;
  return rows.count === 1;
}
