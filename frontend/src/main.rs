//! The playground's entry point (see the `armorlab_web` library).

fn main() {
    armorlab_web::start();
}
