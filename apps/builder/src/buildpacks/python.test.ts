import { describe, expect, it } from 'vitest';
import { memorySource } from '../source.js';
import { detectBuildpack } from './index.js';
import { python } from './python.js';
import { findWsgiEntry } from './python-wsgi-entry.js';

const context = {
  stackImage: 'plat/stack:latest',
  caBundle: '.plat-build/ca-certificates.crt',
  buildDir: '.plat-build',
};

describe('python buildpack', () => {
  it.each(['requirements.txt', 'pyproject.toml', 'setup.py', 'Pipfile'])('detects %s', (marker) => {
    expect(python.detect(memorySource({ [marker]: '' }))).toBe(true);
  });

  it('is not chosen for a tree without Python markers', () => {
    expect(() => detectBuildpack(memorySource({ 'README.md': 'hi', 'app.py': 'print(1)' }))).toThrow(
      /No buildpack detected/,
    );
  });

  it('installs requirements in a layer before the code, so code-only pushes reuse it', () => {
    const plan = python.plan(
      memorySource({ 'requirements.txt': 'Flask\n', 'app.py': 'from flask import Flask\napp = Flask(__name__)\n' }),
      context,
    );
    const lines = plan.dockerfile.split('\n');
    const install = lines.indexOf('RUN pip install -r /app/requirements.txt');
    const copyCode = lines.indexOf('COPY --chown=dyno:dyno . /app');
    expect(lines[0]).toBe('FROM plat/stack:latest');
    expect(lines).toContain('COPY requirements.txt /app/requirements.txt');
    expect(install).toBeGreaterThan(0);
    expect(copyCode).toBeGreaterThan(install);
    expect(plan.dockerfile).toContain('COPY .plat-build/ca-certificates.crt /etc/plat/build-ca.crt');
    expect(plan.dockerfile).toContain('ARG PIP_CERT=/etc/plat/build-ca.crt');
    // The code's COPY is the last step: a code-only push builds one uncached step.
    expect(lines.slice(copyCode - 1)).toEqual(['USER dyno', 'COPY --chown=dyno:dyno . /app', '']);
    expect(plan.processTypes.web).toBe('gunicorn --bind 0.0.0.0:$PORT --access-logfile - app:app');
  });

  it('installs a pyproject project from the full tree without build isolation', () => {
    const plan = python.plan(memorySource({ 'pyproject.toml': '[project]\nname="x"\n' }), context);
    expect(plan.dockerfile).toContain('RUN pip install --no-build-isolation /app');
    expect(plan.processTypes).toEqual({});
  });
});

describe('findWsgiEntry', () => {
  it('finds a Flask app variable', () => {
    expect(
      findWsgiEntry(
        memorySource({ 'requirements.txt': '', 'wsgi.py': 'import flask\napplication = flask.Flask(__name__)\n' }),
      ),
    ).toEqual({
      framework: 'flask',
      target: 'wsgi:application',
    });
  });

  it('finds a Flask application factory', () => {
    const files = { 'server.py': 'from flask import Flask\n\ndef create_app():\n    return Flask(__name__)\n' };
    expect(findWsgiEntry(memorySource(files))?.target).toBe('server:create_app()');
  });

  it('finds a Flask app in a package', () => {
    expect(
      findWsgiEntry(memorySource({ 'shop/__init__.py': 'from flask import Flask\napp = Flask("shop")\n' }))?.target,
    ).toBe('shop:app');
  });

  it("finds Django's wsgi module from manage.py's settings", () => {
    const files = {
      'manage.py': "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
      'mysite/settings.py': '',
      'mysite/wsgi.py': 'application = get_wsgi_application()\n',
      'other/wsgi.py': '',
    };
    expect(findWsgiEntry(memorySource(files))).toEqual({ framework: 'django', target: 'mysite.wsgi' });
  });

  it('finds nothing in a plain script', () => {
    expect(findWsgiEntry(memorySource({ 'main.py': 'print("hi")\n' }))).toBeUndefined();
  });
});

describe('Pipfile apps', () => {
  it('install the [packages] with pip, pinned by Pipfile.lock when there is one', () => {
    const pipfile =
      '[packages]\nflask = "*"\nrequests = {version = ">=2", extras = ["socks"]}\n\n[dev-packages]\npytest = "*"\n';
    const lock = JSON.stringify({ default: { flask: { version: '==2.2.2' } } });
    const plan = python.plan(
      memorySource({
        Pipfile: pipfile,
        'Pipfile.lock': lock,
        'app.py': 'from flask import Flask\napp = Flask(__name__)\n',
      }),
      context,
    );
    expect(plan.files?.['requirements.txt']).toBe('flask==2.2.2\nrequests[socks]>=2\n');
    expect(plan.dockerfile).toContain('COPY .plat-build/requirements.txt /app/.plat-pipfile-requirements.txt');
    expect(plan.dockerfile).toContain('RUN pip install -r /app/.plat-pipfile-requirements.txt');
  });

  it('refuses an invalid Pipfile with a clear message', () => {
    expect(() => python.plan(memorySource({ Pipfile: '[packages\nx=' }), context)).toThrow(/Pipfile is not valid TOML/);
  });
});
