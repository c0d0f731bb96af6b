export { ImageBuilder, type ImageBuildSpec } from './image-builder.js';
export { ensureStackImage, stackRecipeHash, STACK_IMAGE, STACK_RECIPE_DIR } from './stack-image.js';
export { buildApp, labelEveryLayer, type AppBuildRequest, type AppBuildResult } from './app-build.js';
export {
  buildpacks,
  detectBuildpack,
  findBuildpack,
  type Buildpack,
  type BuildPlan,
  type PlanContext,
} from './buildpacks/index.js';
export { memorySource, archiveSource, type Source } from './source.js';
export { gitReceiver, type GitReceiverOptions, type GitService } from './git/smart-http.js';
export { runGitSession, SSH_SHELL_SCRIPT, type GitSessionOptions } from './git/ssh-session.js';
export { branchHead, ensureRepository, receiveChecks, removeRepository, repoPath } from './git/repository.js';
export { ensureServiceImage } from './service-image.js';
