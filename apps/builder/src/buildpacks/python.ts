import type { Source } from '../source.js';
import type { Buildpack, BuildPlan, PlanContext } from './buildpack.js';
import { pipfileRequirements } from './pipfile.js';
import { findWsgiEntry, wantsCollectstatic, type WsgiEntry } from './python-wsgi-entry.js';

const FRAMEWORK_NAMES: Record<WsgiEntry['framework'], string> = {
  django: 'Django',
  flask: 'Flask',
  pyramid: 'Pyramid',
  wsgi: 'WSGI',
};

const MARKERS = ['requirements.txt', 'pyproject.toml', 'setup.py', 'Pipfile'];

/**
 * The steps that install dependencies. Each depends only on the files it
 * copies, so a code-only push reuses the cached dependency layer.
 */
function installSteps(source: Source, context: PlanContext): string[] {
  if (source.has('requirements.txt')) {
    return ['COPY requirements.txt /app/requirements.txt', 'RUN pip install -r /app/requirements.txt'];
  }
  if (source.has('Pipfile')) {
    return [
      `COPY ${context.buildDir}/requirements.txt /app/.plat-pipfile-requirements.txt`,
      'RUN pip install -r /app/.plat-pipfile-requirements.txt',
    ];
  }
  if (source.has('pyproject.toml') || source.has('setup.py')) {
    // Installed from the full tree after it is copied; no build isolation, so
    // setuptools comes from the stack instead of the network.
    return [];
  }
  return [];
}

function projectInstall(source: Source): string[] {
  if (source.has('requirements.txt')) return [];
  if (source.has('pyproject.toml') || source.has('setup.py')) {
    return ['RUN pip install --no-build-isolation /app'];
  }
  return [];
}

export const python: Buildpack = {
  name: 'python',
  label: 'Python',

  detect(source) {
    return MARKERS.some((marker) => source.has(marker));
  },

  plan(source: Source, context: PlanContext): BuildPlan {
    const entry = findWsgiEntry(source);
    const processTypes: Record<string, string> = {};
    const notes: string[] = [];
    if (entry) {
      processTypes.web = `gunicorn --bind 0.0.0.0:$PORT --access-logfile - ${entry.target}`;
      notes.push(`${FRAMEWORK_NAMES[entry.framework]} app found: ${entry.target}`);
    }
    const files: Record<string, string> = {};
    if (source.has('Pipfile') && !source.has('requirements.txt')) {
      files['requirements.txt'] = pipfileRequirements(source.read('Pipfile') ?? '', source.read('Pipfile.lock'));
      notes.push(`Installing the Pipfile's packages${source.has('Pipfile.lock') ? ' as Pipfile.lock pins them' : ''}`);
    }
    const dockerfile = [
      `FROM ${context.stackImage}`,
      'WORKDIR /app',
      `COPY ${context.caBundle} /etc/plat/build-ca.crt`,
      // ARGs act as environment for the RUN steps only: pip trusts the host's
      // CA bundle while building, and the image does not keep the setting.
      'ARG PIP_CERT=/etc/plat/build-ca.crt',
      'ARG PIP_RETRIES=1',
      'ARG PIP_TIMEOUT=20',
      'ENV VIRTUAL_ENV=/app/.venv PATH=/app/.venv/bin:/usr/local/bin:/usr/bin:/bin PYTHONUNBUFFERED=1 ' +
        'PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 UWSGI_VIRTUALENV=/app/.venv UWSGI_PLUGIN=python3',
      // The venv sees the stack's packages, so requirements it already
      // satisfies install nothing (and need no package index).
      'RUN python3 -m venv --system-site-packages /app/.venv',
      ...installSteps(source, context),
      // The stack's user already; said before the code so that it is a cached step: each uncached
      // step after the code's COPY costs a container and a commit on every push (~0.1 s).
      'USER dyno',
      'COPY --chown=dyno:dyno . /app',
      ...projectInstall(source),
      ...(wantsCollectstatic(source) ? ['RUN python manage.py collectstatic --noinput'] : []),
      '',
    ].join('\n');
    return { dockerfile, processTypes, notes, files, generated: true };
  },
};
