export { type ConsoleDeps, registerConsole } from './console-plugin.js';
export {
  CSRF_HEADER,
  consoleSessionToken,
  csrfTokenFor,
  SESSION_COOKIE,
} from './session-cookie.js';
