import type { FastifyReply } from 'fastify';
import { SESSION_COOKIE } from '../authenticator.js';

/** Sets the session cookie (AUTH-2): __Host- prefix, HttpOnly, Secure, SameSite=Strict, Path=/. */
export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSec: number): void {
  void reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSec}`);
}

export function clearSessionCookie(reply: FastifyReply): void {
  void reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`);
}
