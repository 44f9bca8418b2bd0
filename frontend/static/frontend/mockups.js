/* Motif: the tile on real products at true scale, in 3D (three.js, vendored from npm).
 *
 * Scene units are inches and every printed surface carries UVs in inches, so the texture's repeat
 * is 1 / (the translation cell's size in inches) and the GPU's wrap lays the true repeat: a 2″ tile
 * on a 16″ cushion shows eight repeats across. The texture is the repeat's translation cell (the
 * tile for a basic repeat, 2W×H for a half drop, W×2H for a half brick, 2W×2H for a mirror), drawn
 * on a canvas, so plain RepeatWrapping is exact. Geometry is simple and honest: boxes, planes and an
 * extruded outline, sized from the product table (#mockup-products, the same sizes the server's
 * Pillow mockups use).
 *
 * A <figure data-mockup> gets a view, orbit and zoom (OrbitControls), and a product switcher. Its
 * texture comes from one of:
 *   data-follow="<selector>"  the configurator: every time a canvas matching the selector draws a new
 *                             preview (motif.js's "motif:drawn"), the mockup takes the same image;
 *   data-sheet-src            the proof: the translation cell is cut from the proof sheet's top-left
 *                             corner, where the print sheet starts its repeat.
 * After each update the figure carries data-drawn-product, data-updates, data-sync-ms (the mockup's
 * own work on the main thread: the cell, the texture and the draw call) and data-update-ms (from the
 * preview's update to the next frame; with data-measure on the figure, to the GPU having finished the
 * new picture), by performance.now().
 */
import * as THREE from "./vendor/three/three.module.min.js";
import { OrbitControls } from "./vendor/three/OrbitControls.js";

const table = document.getElementById("mockup-products");
const SIZES = table ? JSON.parse(table.textContent) : { products: [], chair_height_in: 34 };
const PRODUCTS = Object.fromEntries(SIZES.products.map((p) => [p.slug, p]));

// --- the texture -------------------------------------------------------------------------------

const CELL = { basic: [1, 1], center: [1, 1], half_drop: [2, 1], half_brick: [1, 2], mirror: [2, 2] };

/* The translation cell of `repeat` drawn from a whole tile (w × h source pixels of `img`). */
function cellFromTile(img, repeat) {
  const [cx, cy] = CELL[repeat] || CELL.basic;
  const w = img.naturalWidth || img.width, h = img.naturalHeight || img.height;
  const canvas = document.createElement("canvas");
  canvas.width = w * cx;
  canvas.height = h * cy;
  const ctx = canvas.getContext("2d");
  const put = (x, y, flipX = false, flipY = false) => {
    ctx.save();
    ctx.translate(x + (flipX ? w : 0), y + (flipY ? h : 0));
    ctx.scale(flipX ? -1 : 1, flipY ? -1 : 1);
    ctx.drawImage(img, 0, 0, w, h);
    ctx.restore();
  };
  if (repeat === "half_drop") {
    put(0, 0); put(w, -h / 2); put(w, h / 2);
  } else if (repeat === "half_brick") {
    put(0, 0); put(-w / 2, h); put(w / 2, h);
  } else if (repeat === "mirror") {
    put(0, 0); put(w, 0, true, false); put(0, h, false, true); put(w, h, true, true);
  } else {
    put(0, 0);
  }
  return { canvas, cx, cy };
}

/* The translation cell cut from a print sheet's proof: the sheet lays its repeat from the top-left
 * corner, so its first period is the cell itself (sheet pixels scaled to the proof image). */
function cellFromSheet(img, repeat, sheetW, tileW, tileH) {
  const [cx, cy] = CELL[repeat] || CELL.basic;
  const k = (img.naturalWidth || img.width) / sheetW;
  const w = Math.min(img.naturalWidth, Math.round(tileW * cx * k));
  const h = Math.min(img.naturalHeight, Math.round(tileH * cy * k));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, w);
  canvas.height = Math.max(1, h);
  canvas.getContext("2d").drawImage(img, 0, 0, w, h, 0, 0, w, h);
  return { canvas, cx, cy };
}

// --- the products --------------------------------------------------------------------------------

/* UVs in inches from each vertex's position, projected along its dominant normal (box mapping). */
function inchUVs(geometry) {
  const pos = geometry.attributes.position, nor = geometry.attributes.normal;
  const uv = new Float32Array(pos.count * 2);
  for (let i = 0; i < pos.count; i++) {
    const x = pos.getX(i), y = pos.getY(i), z = pos.getZ(i);
    const nx = nor.getX(i), ny = nor.getY(i), nz = nor.getZ(i);
    const ax = Math.abs(nx), ay = Math.abs(ny), az = Math.abs(nz);
    let u, v;
    if (az >= ax && az >= ay) { u = nz >= 0 ? x : -x; v = y; }
    else if (ax >= ay) { u = nx >= 0 ? -z : z; v = y; }
    else { u = x; v = ny >= 0 ? -z : z; }
    uv[2 * i] = u;
    uv[2 * i + 1] = v;
  }
  geometry.setAttribute("uv", new THREE.BufferAttribute(uv, 2));
  return geometry;
}

const plain = (color, roughness = 0.8) => new THREE.MeshStandardMaterial({ color, roughness });

function cushion(p, print) {
  const g = inchUVs(new THREE.BoxGeometry(p.width_in, p.height_in, p.depth_in, 32, 32, 4));
  // Filled: thickest in the middle, pinched to the seam at the edges. Only depth changes, so the
  // printed face keeps its true width and height.
  const pos = g.attributes.position, hw = p.width_in / 2, hh = p.height_in / 2;
  for (let i = 0; i < pos.count; i++) {
    const ex = Math.min(1, Math.abs(pos.getX(i)) / hw), ey = Math.min(1, Math.abs(pos.getY(i)) / hh);
    const fill = Math.sqrt(Math.max(0, (1 - ex ** 6) * (1 - ey ** 6)));
    pos.setZ(i, pos.getZ(i) * (0.15 + 0.85 * fill));
  }
  g.computeVertexNormals();
  const mesh = new THREE.Mesh(g, print);
  mesh.position.y = p.height_in / 2;
  return { group: mesh, target: [0, p.height_in / 2, 0], distance: 34 };
}

function shirt(p, print) {
  // The same front outline as the Pillow mockup: a 20″ body, 28″ long, short sleeves, round neck.
  const pts = [[-4, 0], [-10, 1.5], [-16, 7], [-13, 11], [-10, 8.5], [-10, 28], [10, 28], [10, 8.5],
    [13, 11], [16, 7], [10, 1.5], [4, 0]];
  const shape = new THREE.Shape(pts.map(([x, y]) => new THREE.Vector2(x, p.height_in - y)));
  shape.absarc(0, p.height_in, 4, 0, Math.PI, true);
  const g = new THREE.ExtrudeGeometry(shape, { depth: p.depth_in, bevelEnabled: true, bevelThickness: 0.4,
    bevelSize: 0.3, bevelSegments: 3, curveSegments: 24 });
  g.translate(0, 0, -p.depth_in / 2);
  // ExtrudeGeometry's caps take their UVs from the outline's own coordinates: inches already.
  const group = new THREE.Group();
  group.add(new THREE.Mesh(g, print));
  return { group, target: [0, p.height_in / 2, 0], distance: 60 };
}

function wall(p, print, chairHeight) {
  const group = new THREE.Group();
  const paper = inchUVs(new THREE.PlaneGeometry(p.width_in, p.height_in));
  paper.translate(0, p.height_in / 2, 0);
  group.add(new THREE.Mesh(paper, print));
  const floor = new THREE.Mesh(new THREE.PlaneGeometry(p.width_in + 40, 80), plain(0xb0926e));
  floor.rotation.x = -Math.PI / 2;
  floor.position.z = 40;
  group.add(floor);
  const skirting = new THREE.Mesh(new THREE.BoxGeometry(p.width_in, 4, 0.8), plain(0xf5f3ee));
  skirting.position.set(0, 2, 0.4);
  group.add(skirting);
  // A dining chair for scale: seat at 18″, back to chairHeight, 18″ wide.
  const wood = plain(0x785434, 0.6), chair = new THREE.Group(), leg = 1.5, w = 18, d = 17, seat = 18;
  const part = (sx, sy, sz, x, y, z) => {
    const m = new THREE.Mesh(new THREE.BoxGeometry(sx, sy, sz), wood);
    m.position.set(x, y, z);
    chair.add(m);
  };
  part(w, 1.5, d, 0, seat, 0);
  for (const x of [-w / 2 + leg / 2, w / 2 - leg / 2]) {
    part(leg, seat, leg, x, seat / 2, d / 2 - leg / 2);
    part(leg, chairHeight, leg, x, chairHeight / 2, -d / 2 + leg / 2);
  }
  part(w, 3, 1, 0, chairHeight - 1.5, -d / 2 + leg / 2);
  part(w, 2, 1, 0, chairHeight - 9, -d / 2 + leg / 2);
  chair.position.set(p.width_in * 0.2, 0, d / 2 + 6);
  group.add(chair);
  return { group, target: [0, p.height_in / 2, 0], distance: 190 };
}

function giftBox(p, print) {
  const group = new THREE.Group();
  const box = new THREE.Mesh(inchUVs(new THREE.BoxGeometry(p.width_in, p.height_in, p.depth_in)), print);
  group.add(box);
  const ribbon = plain(0xb0202c, 0.45), band = 0.9;
  group.add(new THREE.Mesh(new THREE.BoxGeometry(band, p.height_in + 0.1, p.depth_in + 0.1), ribbon));
  group.add(new THREE.Mesh(new THREE.BoxGeometry(p.width_in + 0.1, p.height_in + 0.1, band), ribbon));
  for (const side of [-1, 1]) {
    const loop = new THREE.Mesh(new THREE.TorusGeometry(1.6, 0.35, 12, 32), ribbon);
    loop.position.set(side * 1.5, p.height_in / 2 + 0.9, 0);
    loop.rotation.set(Math.PI / 2.6, 0, side * 0.5);
    group.add(loop);
  }
  group.position.y = p.height_in / 2;
  return { group, target: [0, p.height_in / 2, 0], distance: 30 };
}

function teaTowel(p, print) {
  const group = new THREE.Group();
  const g = new THREE.PlaneGeometry(p.width_in, p.height_in, 48, 72);
  g.translate(0, -p.height_in / 2, 0);
  const pos = g.attributes.position, uv = g.attributes.uv;
  for (let i = 0; i < pos.count; i++) {
    const x = pos.getX(i), y = pos.getY(i);
    uv.setXY(i, x + p.width_in / 2, y + p.height_in);  // inches, before the folds
    // Soft folds where it hangs from the rail, fading towards the hem.
    pos.setZ(i, 0.35 * Math.sin((x / p.width_in) * Math.PI * 6) * (0.4 + 0.6 * (-y / p.height_in)));
  }
  g.computeVertexNormals();
  const towel = new THREE.Mesh(g, print);
  group.add(towel);
  const rail = new THREE.Mesh(new THREE.CylinderGeometry(0.4, 0.4, p.width_in + 6, 24), plain(0x96969c, 0.35));
  rail.rotation.z = Math.PI / 2;
  rail.position.set(0, 0.4, -0.4);
  group.add(rail);
  group.position.y = p.height_in + 2;
  return { group, target: [0, p.height_in / 2 + 2, 0], distance: 62 };
}

const BUILD = { cushion, shirt, wall, "gift-box": giftBox, "tea-towel": teaTowel };

// --- one mockup figure ---------------------------------------------------------------------------

function dispose(object) {
  object.traverse((o) => { if (o.geometry) o.geometry.dispose(); });
}

class Mockup {
  constructor(root) {
    this.root = root;
    this.view = root.querySelector("[data-mockup-view]");
    this.caption = root.querySelector("[data-mockup-caption]");
    this.product = root.dataset.product || "cushion";
    this.updates = 0;
    this.texture = null;
    this.repeatIn = [1, 1];
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    this.view.replaceChildren(this.renderer.domElement);
    this.renderer.domElement.setAttribute("role", "img");
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0xf3f1ec);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8070, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(-40, 80, 100);
    this.scene.add(sun);
    this.camera = new THREE.PerspectiveCamera(35, 1, 0.5, 2000);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener("change", () => this.draw());
    this.print = new THREE.MeshStandardMaterial({ color: 0xffffff, roughness: 0.85, side: THREE.DoubleSide });
    root.querySelectorAll("[data-mockup-product]").forEach((button) => {
      button.addEventListener("click", () => this.show(button.dataset.mockupProduct));
    });
    new ResizeObserver(() => this.resize()).observe(this.view);
    this.show(this.product);
  }

  resize() {
    const w = this.view.clientWidth || 600, h = this.view.clientHeight || 400;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.draw();
  }

  show(slug) {
    const spec = PRODUCTS[slug];
    if (!spec) return;
    this.product = slug;
    if (this.object) { this.scene.remove(this.object.group); dispose(this.object.group); }
    this.object = BUILD[slug](spec, this.print, SIZES.chair_height_in);
    this.scene.add(this.object.group);
    this.root.querySelectorAll("[data-mockup-product]").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.mockupProduct === slug));
    });
    this.frame(this.object.distance, 35);
    this.describe();
  }

  /* Aim at the product from `distance` inches, a little above and to the side unless `straight`. */
  frame(distance, fov, straight = false) {
    const [x, y, z] = this.object.target;
    const [dx, dy, dz] = straight ? [0, 0, 1] : [0.42, 0.3, 0.86];
    this.camera.fov = fov;
    this.camera.position.set(x + dx * distance, y + dy * distance, z + dz * distance);
    this.controls.target.set(x, y, z);
    this.controls.minDistance = 4;
    this.controls.maxDistance = distance * 3;
    this.resize();
    this.controls.update();
  }

  /* Face-on through a long lens, so the printed face is seen nearly flat (the repeat-count check). */
  faceOn() {
    const spec = PRODUCTS[this.product];
    const fov = 8, fill = 1.25;
    const distance = (Math.max(spec.width_in, spec.height_in) * fill) / 2 / Math.tan((fov * Math.PI) / 360);
    this.frame(distance, fov, true);
  }

  setCell(cell, repeatWidthIn, repeatHeightIn, startedAt) {
    const old = this.texture;
    if (old && old.image.width === cell.canvas.width && old.image.height === cell.canvas.height) {
      // Same size (the live preview's next frame): new pixels into the same GPU texture.
      old.image = cell.canvas;
      old.needsUpdate = true;
    } else {
      if (old) old.dispose();
      const texture = new THREE.CanvasTexture(cell.canvas);
      texture.wrapS = texture.wrapT = THREE.RepeatWrapping;
      texture.colorSpace = THREE.SRGBColorSpace;
      texture.anisotropy = this.renderer.capabilities.getMaxAnisotropy();
      this.texture = texture;
      this.print.map = texture;
      this.print.needsUpdate = true;
    }
    this.repeatIn = [repeatWidthIn, repeatHeightIn];
    this.texture.repeat.set(1 / (repeatWidthIn * cell.cx), 1 / (repeatHeightIn * cell.cy));
    this.draw();
    this.root.dataset.syncMs = startedAt === undefined ? "" : (performance.now() - startedAt).toFixed(1);
    this.describe();
    // Measuring (data-measure on the figure): wait for the GPU to finish this picture (reading one
    // pixel back), so data-update-ms is the whole path to the new pixels. Otherwise the next frame.
    const finished = () => {
      this.updates += 1;
      this.root.dataset.updates = String(this.updates);
      if (startedAt !== undefined) this.root.dataset.updateMs = (performance.now() - startedAt).toFixed(1);
      this.root.dataset.drawnProduct = this.product;
      this.root.dispatchEvent(new CustomEvent("motif:mockup-drawn", { bubbles: true }));
    };
    if (this.root.dataset.measure !== undefined) {
      const gl = this.renderer.getContext();
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
      finished();
    } else {
      requestAnimationFrame(finished);
    }
  }

  describe() {
    const spec = PRODUCTS[this.product];
    if (!this.caption || !spec) return;
    const across = spec.width_in / this.repeatIn[0];
    this.caption.textContent = this.texture
      ? `${spec.name}: a ${this.repeatIn[0].toFixed(2)}″ × ${this.repeatIn[1].toFixed(2)}″ repeat, ` +
        `${across.toFixed(1)} repeats across its ${spec.width_in}″ width. Drag to turn, scroll to zoom.`
      : `${spec.name}. The mockup appears with the preview.`;
    this.renderer.domElement.setAttribute("aria-label", this.caption.textContent);
  }

  draw() {
    if (this.object) this.renderer.render(this.scene, this.camera);
    this.root.dataset.product = this.product;
  }
}

const loaded = {};
function loadImage(src) {
  if (!loaded[src]) {
    loaded[src] = new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = () => reject(new Error(`could not load ${src}`));
      img.src = src;
    });
  }
  return loaded[src];
}

const inches = (value) => parseFloat(String(value).replace(",", ".")) || 1;

function startFollowing(mockup, selector) {
  let followed = false;
  const follow = (canvas, img, startedAt) => {
    followed = true;
    const d = canvas.dataset;
    mockup.root.hidden = false;
    mockup.resize();
    mockup.setCell(cellFromTile(img, d.repeat || "basic"), inches(d.repeatWIn), inches(d.repeatHIn), startedAt);
  };
  // The live preview draws a new tile: the mockup takes the very same image.
  document.addEventListener("motif:drawn", (event) => {
    const canvas = event.target;
    if (!(canvas instanceof HTMLCanvasElement) || !canvas.matches(selector)) return;
    const startedAt = performance.now();
    if (event.detail && event.detail.img) follow(canvas, event.detail.img, startedAt);
    else loadImage(canvas.dataset.tileSrc).then((img) => follow(canvas, img, startedAt));
  });
  const drawn = document.querySelector(`${selector}[data-drawn]`);
  // A preview drawn before this module ran: take it, unless a newer one has arrived meanwhile.
  if (drawn) loadImage(drawn.dataset.tileSrc).then((img) => { if (!followed) follow(drawn, img); });
}

function start(root) {
  if (root.dataset.ready) return;
  root.dataset.ready = "1";
  let mockup;
  try {
    mockup = new Mockup(root);
  } catch (error) {
    root.dataset.state = "no-webgl";
    root.querySelector("[data-mockup-view]").textContent =
      "The 3D mockup needs WebGL, which this browser has turned off.";
    return;
  }
  root.mockup = mockup;
  const d = root.dataset;
  if (d.follow) startFollowing(mockup, d.follow);
  if (d.sheetSrc) {
    loadImage(d.sheetSrc).then((img) => {
      const cell = cellFromSheet(img, d.repeat || "basic", +d.sheetW, +d.tileW, +d.tileH);
      mockup.setCell(cell, inches(d.repeatWIn), inches(d.repeatHIn));
    });
  }
}

function startAll(scope) {
  (scope || document).querySelectorAll("[data-mockup]").forEach(start);
}

window.MotifMockups = { startAll, cellFromTile, products: PRODUCTS };
startAll(document);
document.addEventListener("htmx:load", (event) => startAll(event.target));
