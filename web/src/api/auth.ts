/** The account routes (`/api/v1/auth/*`), one function each. */
import { api, type SessionAnswer, type User } from "./client.ts";

export const signUp = (body: { email: string; username: string; password: string }) =>
  api<SessionAnswer>("POST", "/api/v1/auth/signup", { body, auth: false });

export const logIn = (body: { login: string; password: string }) =>
  api<SessionAnswer>("POST", "/api/v1/auth/login", { body, auth: false });

export const verifyEmail = (token: string) =>
  api<{ user: User }>("POST", "/api/v1/auth/verify-email", { body: { token }, auth: false });

export const resendVerification = () =>
  api<{ message: string }>("POST", "/api/v1/auth/resend-verification");

export const forgotPassword = (email: string) =>
  api<{ message: string }>("POST", "/api/v1/auth/forgot-password", {
    body: { email },
    auth: false,
  });

export const resetPassword = (token: string, password: string) =>
  api<{ message: string }>("POST", "/api/v1/auth/reset-password", {
    body: { token, password },
    auth: false,
  });

export const changePassword = (currentPassword: string, newPassword: string) =>
  api<void>("POST", "/api/v1/auth/change-password", { body: { currentPassword, newPassword } });

/**
 * Problem codes that concern one field, for forms: the API answers them without a
 * pointer (409/403), the form shows them next to the field.
 */
export const FIELD_OF_CODE: Record<string, string> = {
  email_taken: "/email",
  username_taken: "/username",
  wrong_password: "/currentPassword",
};
