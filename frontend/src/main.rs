//! The armorlab playground (being written).
use yew::prelude::*;

#[function_component]
fn App() -> Html {
    html! { <main><h1>{ "armorlab" }</h1></main> }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
