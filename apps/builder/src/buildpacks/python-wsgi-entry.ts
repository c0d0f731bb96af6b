import type { Source } from '../source.js';

/** A WSGI application found in the source: what gunicorn should load. */
export interface WsgiEntry {
  framework: 'django' | 'flask';
  /** gunicorn's APP_MODULE, e.g. `app:app`, `site.wsgi`, `app:create_app()` */
  target: string;
}

function moduleName(path: string): string {
  return path.replace(/\.py$/, '').replace(/\/__init__$/, '').split('/').join('.');
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
  const ordered = [...FLASK_FILES.filter((f) => topLevel.includes(f)), ...topLevel.filter((f) => !FLASK_FILES.includes(f))];
  for (const file of ordered) {
    const text = source.read(file) ?? '';
    if (!/\bflask\b/i.test(text)) continue;
    const variable = /^(\w+)\s*=\s*(?:flask\.)?Flask\(/m.exec(text)?.[1];
    if (variable) return { framework: 'flask', target: `${moduleName(file)}:${variable}` };
    if (/^def create_app\(/m.test(text)) return { framework: 'flask', target: `${moduleName(file)}:create_app()` };
  }
  return undefined;
}

export function findWsgiEntry(source: Source): WsgiEntry | undefined {
  return findDjango(source) ?? findFlask(source);
}
