import type { Source } from '../source.js';

/** A WSGI application found in the source: what gunicorn should load. */
export interface WsgiEntry {
  framework: 'django' | 'flask' | 'pyramid' | 'wsgi';
  /** gunicorn's arguments naming the app: `app:app`, `site.wsgi`, `--paste production.ini` */
  target: string;
}

function moduleName(path: string): string {
  return path
    .replace(/\.py$/, '')
    .replace(/\/__init__$/, '')
    .split('/')
    .join('.');
}

/** Django: manage.py at the root and a project package with wsgi.py. */
function findDjango(source: Source): WsgiEntry | undefined {
  const manage = source.read('manage.py');
  if (manage === undefined) return undefined;
  const settings = /DJANGO_SETTINGS_MODULE['"]?\s*,\s*['"]([\w.]+)\.settings['"]/.exec(manage)?.[1];
  const candidates = settings ? [`${settings.split('.').join('/')}/wsgi.py`] : [];
  candidates.push(...source.files().filter((f) => /^[\w]+\/wsgi\.py$/.test(f)));
  const wsgi = candidates.find((f) => source.has(f));
  return wsgi ? { framework: 'django', target: moduleName(wsgi) } : undefined;
}

const FLASK_FILES = ['app.py', 'wsgi.py', 'application.py', 'main.py', 'server.py'];

/** Flask: a module that makes `app = Flask(...)` or defines `create_app()`. */
function findFlask(source: Source): WsgiEntry | undefined {
  const topLevel = source.files().filter((f) => /^[\w]+\.py$/.test(f) || /^[\w]+\/__init__\.py$/.test(f));
  const ordered = [
    ...FLASK_FILES.filter((f) => topLevel.includes(f)),
    ...topLevel.filter((f) => !FLASK_FILES.includes(f)),
  ];
  for (const file of ordered) {
    const text = source.read(file) ?? '';
    if (!/\bflask\b/i.test(text)) continue;
    const variable = /^(\w+)\s*=\s*(?:flask\.)?Flask\(/m.exec(text)?.[1];
    if (variable) return { framework: 'flask', target: `${moduleName(file)}:${variable}` };
    if (/^def create_app\(/m.test(text)) return { framework: 'flask', target: `${moduleName(file)}:create_app()` };
  }
  return undefined;
}

function topLevelModules(source: Source): string[] {
  const modules = source.files().filter((f) => /^[\w]+\.py$/.test(f) || /^[\w]+\/__init__\.py$/.test(f));
  const preferred = ['wsgi.py', 'app.py', 'application.py', 'main.py'];
  return [...preferred.filter((f) => modules.includes(f)), ...modules.filter((f) => !preferred.includes(f))];
}

/** Pyramid: a PasteDeploy ini with [app:main], else a module that calls make_wsgi_app(). */
function findPyramid(source: Source): WsgiEntry | undefined {
  const ini = ['production.ini', 'app.ini'].find((f) => /^\[app:main\]/m.test(source.read(f) ?? ''));
  if (ini) return { framework: 'pyramid', target: `--paste ${ini}` };
  for (const file of topLevelModules(source)) {
    const text = source.read(file) ?? '';
    if (!/\bpyramid\b/.test(text)) continue;
    const variable = /^[ \t]*(\w+)\s*=\s*\w+\.make_wsgi_app\(\)/m.exec(text)?.[1];
    if (variable) return { framework: 'pyramid', target: `${moduleName(file)}:${variable}` };
  }
  return undefined;
}

/** Any PEP 3333 module: a top-level callable named `application`. */
function findPlainWsgi(source: Source): WsgiEntry | undefined {
  for (const file of topLevelModules(source)) {
    const text = source.read(file) ?? '';
    if (/^(def application\(|application\s*=)/m.test(text))
      return { framework: 'wsgi', target: `${moduleName(file)}:application` };
  }
  return undefined;
}

export function findWsgiEntry(source: Source): WsgiEntry | undefined {
  return findDjango(source) ?? findFlask(source) ?? findPyramid(source) ?? findPlainWsgi(source);
}

/** Django with a STATIC_ROOT: static files are collected during the build, as on Heroku. */
export function wantsCollectstatic(source: Source): boolean {
  if (!source.has('manage.py')) return false;
  return source
    .files()
    .some((f) => /(^|\/)settings(\.py|\/[\w]+\.py)$/.test(f) && /^STATIC_ROOT\s*=/m.test(source.read(f) ?? ''));
}
