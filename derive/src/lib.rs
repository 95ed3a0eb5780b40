//! `#[derive(Stored)]`: the storage encoding of a type, declared by its
//! definition. The runtime it targets is `stepwise::encoding` (named as
//! `crate::encoding`, so the derive is for types of the stepwise crate);
//! its module docs describe the format.
//!
//! - A struct with named fields encodes its fields in declaration order:
//!   a head (one flags byte for the fields that are bits, then each field's
//!   head) and a text part (each field's text). `#[stored(sealed)]` puts a
//!   field's whole encoding in the text part; `#[stored(skip)]` leaves a
//!   field out (it decodes as its `Default`).
//! - `#[stored(added)]` marks a field a record gained after values were
//!   stored: kept whole in the text part after every other field, left
//!   out while it and every added field after it hold their `Default`, and
//!   read as its `Default` from a value that ends before it. Values stored
//!   before the field existed keep their bytes and meaning, so adding one
//!   needs no new store format. Added fields come last, and only in types
//!   whose text part ends the value (a record, a value stored alone), never
//!   in an element of a list.
//! - An enum gives every variant an explicit discriminant, its byte on
//!   disk (`Active = 1`; an enum with fields needs `#[repr(u8)]`), so
//!   reordering variants never changes the format. A variant's fields
//!   follow its byte, in the head; they must have no text part.

use proc_macro::TokenStream;
use proc_macro2::{Literal, TokenStream as Tokens};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

/// Derives `crate::encoding::Stored`.
#[proc_macro_derive(Stored, attributes(stored))]
pub fn derive_stored(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[derive(Stored)] takes types without generic parameters",
        ));
    }
    match &input.data {
        Data::Struct(data) => expand_struct(input, &data.fields),
        Data::Enum(data) => expand_enum(input, data),
        Data::Union(_) => Err(syn::Error::new(
            input.span(),
            "#[derive(Stored)] takes structs and enums",
        )),
    }
}

/// Where a struct's field is stored.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// Its head in the head, its text in the text part.
    Split,
    /// All of it in the text part (`#[stored(sealed)]`).
    Sealed,
    /// Not stored (`#[stored(skip)]`).
    Skip,
    /// Whole in the text part, last, optional there (`#[stored(added)]`).
    Added,
}

fn place(field: &syn::Field) -> syn::Result<Place> {
    let mut place = Place::Split;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("stored")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                place = Place::Skip;
                Ok(())
            } else if meta.path.is_ident("sealed") {
                place = Place::Sealed;
                Ok(())
            } else if meta.path.is_ident("added") {
                place = Place::Added;
                Ok(())
            } else {
                Err(meta.error("expected `skip`, `sealed` or `added`"))
            }
        })?;
    }
    Ok(place)
}

fn expand_struct(input: &DeriveInput, fields: &Fields) -> syn::Result<Tokens> {
    let Fields::Named(named) = fields else {
        return Err(syn::Error::new(
            fields.span(),
            "#[derive(Stored)] takes structs with named fields",
        ));
    };
    let e = quote!(crate::encoding);
    let name = &input.ident;
    let mut all = Vec::new();
    for field in &named.named {
        let place = place(field)?;
        let after_added = all.iter().any(|f: &(_, _, Place)| f.2 == Place::Added);
        if after_added && !matches!(place, Place::Added | Place::Skip) {
            return Err(syn::Error::new(
                field.span(),
                "#[derive(Stored)]: fields marked `added` come after every other stored field",
            ));
        }
        all.push((field.ident.clone(), &field.ty, place));
    }
    let split: Vec<_> = all.iter().filter(|f| f.2 == Place::Split).collect();
    let split_names: Vec<_> = split.iter().map(|f| &f.0).collect();
    let split_types: Vec<_> = split.iter().map(|f| f.1).collect();
    let heads: Vec<_> = split_names
        .iter()
        .map(|n| format_ident!("head_{}", n.as_ref().expect("named")))
        .collect();
    // Locals named apart from the fields, so a field named `text` or
    // `head` does not shadow the readers.
    let value =
        |field: &Option<syn::Ident>| format_ident!("value_{}", field.as_ref().expect("named"));
    let text_steps = all.iter().map(|(field, ty, place)| {
        let head = format_ident!("head_{}", field.as_ref().expect("named"));
        let value = value(field);
        match place {
            Place::Split => quote! {
                let #value = <#ty as #e::Stored>::get_text(#head, text)?;
            },
            Place::Sealed => quote! { let #value = #e::get_whole::<#ty>(text)?; },
            Place::Skip => quote! { let #value = ::core::default::Default::default(); },
            Place::Added => quote! {
                let #value = if text.at_end() {
                    ::core::default::Default::default()
                } else {
                    #e::get_whole::<#ty>(text)?
                };
            },
        }
    });
    let added: Vec<_> = all.iter().filter(|f| f.2 == Place::Added).collect();
    let added_names: Vec<_> = added.iter().map(|f| &f.0).collect();
    let added_types: Vec<_> = added.iter().map(|f| f.1).collect();
    let added_indices = (0..added.len()).map(Literal::usize_unsuffixed);
    let puts_text = all.iter().map(|(field, _, place)| match place {
        Place::Split => quote! { #e::Stored::put_text(&self.#field, text); },
        Place::Sealed => quote! { #e::put_whole(&self.#field, text); },
        Place::Skip | Place::Added => quote! {},
    });
    // The added fields up to the last one that is not its default.
    let puts_added = quote! {
        let kept = [ #( self.#added_names != <#added_types as ::core::default::Default>::default() ),* ]
            .iter()
            .rposition(|differs| *differs);
        #(
            if kept.is_some_and(|last| #added_indices <= last) {
                #e::put_whole(&self.#added_names, text);
            }
        )*
    };
    let puts_added = if added.is_empty() {
        quote! {}
    } else {
        puts_added
    };
    let field_names = all.iter().map(|f| &f.0);
    let values = all.iter().map(|f| value(&f.0));
    Ok(quote! {
        impl #e::Stored for #name {
            const HEAD_FLAGS: u32 = 0 #( + <#split_types as #e::Stored>::BITS )*;
            type Head = ( #( <#split_types as #e::Stored>::Head, )* );

            fn put_head(&self, head: &mut #e::Writer) {
                let mut bits = #e::Bits::default();
                #( #e::Stored::put_bits(&self.#split_names, &mut bits); )*
                head.flags(bits, <Self as #e::Stored>::HEAD_FLAGS);
                #( #e::Stored::put_head(&self.#split_names, head); )*
            }

            fn put_text(&self, text: &mut #e::Writer) {
                #( #puts_text )*
                #puts_added
            }

            fn get_head(
                _: &mut #e::Bits,
                head: &mut #e::Reader<'_>,
            ) -> crate::error::Result<Self::Head> {
                let mut bits = head.flags(<Self as #e::Stored>::HEAD_FLAGS)?;
                #( let #heads = <#split_types as #e::Stored>::get_head(&mut bits, head)?; )*
                Ok(( #( #heads, )* ))
            }

            fn get_text(
                head: Self::Head,
                text: &mut #e::Reader<'_>,
            ) -> crate::error::Result<Self> {
                let ( #( #heads, )* ) = head;
                #( #text_steps )*
                Ok(Self { #( #field_names: #values, )* })
            }
        }

        const _: () = assert!(
            <#name as #e::Stored>::HEAD_FLAGS <= #e::MAX_FLAGS,
            "too many flag fields (bools, options, numbers) in one struct",
        );
    })
}

fn expand_enum(input: &DeriveInput, data: &syn::DataEnum) -> syn::Result<Tokens> {
    let e = quote!(crate::encoding);
    let name = &input.ident;
    let what = Literal::string(&name.to_string());
    let mut puts = Vec::new();
    let mut gets = Vec::new();
    for variant in &data.variants {
        let byte = discriminant(variant)?;
        let ident = &variant.ident;
        match &variant.fields {
            Fields::Unit => {
                puts.push(quote! { Self::#ident => head.u8(#byte), });
                gets.push(quote! { #byte => Self::#ident, });
            }
            Fields::Unnamed(fields) => {
                let vars: Vec<_> = (0..fields.unnamed.len())
                    .map(|i| format_ident!("field_{i}"))
                    .collect();
                // A field's head is the field: variants' fields have no text.
                let reads = fields
                    .unnamed
                    .iter()
                    .map(|f| &f.ty)
                    .map(|ty| quote! { #e::get_standalone_head::<#ty>(head)? });
                puts.push(quote! {
                    Self::#ident( #( #vars ),* ) => {
                        head.u8(#byte);
                        #( #e::put_standalone_head(#vars, head); )*
                    }
                });
                gets.push(quote! { #byte => Self::#ident( #( #reads ),* ), });
            }
            Fields::Named(_) => {
                return Err(syn::Error::new(
                    variant.span(),
                    "#[derive(Stored)] takes enum variants without fields or with unnamed ones",
                ));
            }
        }
    }
    Ok(quote! {
        impl #e::Stored for #name {
            type Head = Self;

            fn put_head(&self, head: &mut #e::Writer) {
                match self {
                    #( #puts )*
                }
            }

            fn put_text(&self, _: &mut #e::Writer) {}

            fn get_head(
                _: &mut #e::Bits,
                head: &mut #e::Reader<'_>,
            ) -> crate::error::Result<Self> {
                Ok(match head.u8()? {
                    #( #gets )*
                    _ => return Err(#e::malformed(#what)),
                })
            }

            fn get_text(head: Self, _: &mut #e::Reader<'_>) -> crate::error::Result<Self> {
                Ok(head)
            }
        }
    })
}

/// A variant's byte: its explicit discriminant, a literal from 0 to 255.
fn discriminant(variant: &syn::Variant) -> syn::Result<Literal> {
    let missing = || {
        syn::Error::new(
            variant.span(),
            "#[derive(Stored)]: give every variant its byte on disk, e.g. `Active = 1`",
        )
    };
    let (_, expr) = variant.discriminant.as_ref().ok_or_else(missing)?;
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(int),
        ..
    }) = expr
    else {
        return Err(missing());
    };
    let byte: u8 = int.base10_parse()?;
    Ok(Literal::u8_unsuffixed(byte))
}
